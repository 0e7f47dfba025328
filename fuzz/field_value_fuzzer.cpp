// Fuzzes the field validator, the logfmt text writer and scope creation:
// arbitrary bytes as one string value, as a text value and as an encoded
// scope. Invariants: no crash, an accepted value is well-formed UTF-8 within
// the limit, a text value stays within its bound with no raw control byte
// and is bare only when it needs no quotes, and an accepted scope serializes
// to JSON that nlohmann parses back to the same values.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "fields.h"
#include "scope_store.h"
#include "text_value.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (mellea::ValidateStringValue(text, 256) == mellea::Status::kOk) {
    if (!mellea::IsWellFormedUtf8(text) || text.empty() || text.size() > 256) __builtin_trap();
    for (unsigned char c : text) {
      if (c < 0x20 || c == 0x7F) __builtin_trap();
    }
    if (text.find("\xE2\x80\xA8") != std::string_view::npos || text.find("\xE2\x80\xAE") != std::string_view::npos) __builtin_trap();
  }
  {
    std::string out(2 + mellea::kTextEscapeFactor * size, '\0');
    const size_t n = mellea::WriteTextValue(text, out.data());
    if (n > out.size()) __builtin_trap();
    out.resize(n);
    for (unsigned char c : out) {
      if (c < 0x20 || c == 0x7F) __builtin_trap();
    }
    if (!mellea::IsWellFormedUtf8(out)) __builtin_trap();
    if (!mellea::TextValueNeedsQuotes(text) && (out.empty() || out.front() == '"')) __builtin_trap();
  }
  static mellea::FieldRegistry registry;
  static mellea::ScopeStore store(registry);
  static uint64_t last = 0;
  mellea::CreateResult made;
  // Each input is a change set on the previous accepted scope (stale or not).
  const uint64_t parent = last;
  const mellea::Status s = store.Create(parent, data, size, 0, &made);
  if (s == mellea::Status::kStaleHandle) last = 0;
  if (s == mellea::Status::kOk) {
    const uint64_t handle = made.handle;
    last = handle;
    std::string json;
    if (store.Json(handle, &json) != mellea::Status::kOk) __builtin_trap();
    // The same changes again under the same parent: the core answers the
    // child it just made (same handle, same JSON), unless they hold a request
    // id of the core's (new by construction) or making room evicted the parent.
    bool core_id = false;
    for (size_t pos = 0; pos + 6 <= size;) {
      const uint8_t kind = data[pos + 1];
      core_id = core_id || kind == mellea::kChangeFreshRequestId || kind == mellea::kChangeIssuedRequestId;
      const size_t plen = static_cast<size_t>(data[pos + 2]) | static_cast<size_t>(data[pos + 3]) << 8 |
                          static_cast<size_t>(data[pos + 4]) << 16 | static_cast<size_t>(data[pos + 5]) << 24;
      if (plen > size - pos - 6) break;
      pos += 6 + plen;
    }
    mellea::CreateResult again;
    const mellea::Status s2 = store.Create(parent, data, size, 0, &again);
    if (s2 == mellea::Status::kOk && !core_id) {
      if (!again.repeated || again.handle != handle) __builtin_trap();
    } else if (s2 == mellea::Status::kOk && again.repeated) {
      __builtin_trap();
    } else if (s2 != mellea::Status::kOk && s2 != mellea::Status::kStaleHandle && !core_id) {
      __builtin_trap();
    }
    std::string json_again;
    if (s2 == mellea::Status::kOk && (store.Json(again.handle, &json_again) != mellea::Status::kOk || (!core_id && json_again != json))) {
      __builtin_trap();
    }
    const auto parsed = nlohmann::json::parse(json, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) __builtin_trap();
    std::vector<mellea::FieldValue> values;
    if (store.Values(handle, &values) != mellea::Status::kOk) __builtin_trap();
    size_t set = 0;
    for (const auto& v : values) set += v.set ? 1 : 0;
    if (parsed.size() != set) __builtin_trap();
  }
  return 0;
}

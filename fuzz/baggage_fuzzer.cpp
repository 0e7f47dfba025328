// Parses arbitrary bytes as a baggage header and checks what reaches a scope
// or an outbound header: limits hold, extracted values pass the field rules,
// and inject/extract round-trips exactly.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "baggage.h"

namespace {

using namespace mellea;

#define CHECK(cond)                                          \
  do {                                                       \
    if (!(cond)) {                                           \
      __builtin_trap();                                      \
    }                                                        \
  } while (0)

Core& TheCore() {
  static Core* core = [] {
    auto* c = new Core();
    int index = -1;
    c->registry().Define("flag", FieldType::kBoolean, &index);
    c->registry().Define("count", FieldType::kInteger, &index);
    c->registry().Define("label", FieldType::kString, &index);
    return c;
  }();
  return *core;
}

bool Same(const FieldValue& a, const FieldValue& b) {
  if (a.set != b.set) return false;
  return !a.set || (a.type == b.type && a.text == b.text && a.integer == b.integer);
}

void CheckParsed(const ParsedBaggage& p) {
  CHECK(p.members.size() <= kBaggageMaxMembers);
  for (const BaggageMember& m : p.members) {
    CHECK(!m.key.empty());
    CHECK(IsWellFormedUtf8(m.value));
    CHECK(m.value.size() <= m.raw_value.size());
    for (char c : m.key + m.raw_value + m.properties) {
      CHECK(c > 0x20 && c < 0x7F && c != ',' && c != '"' && c != '\\');
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Core& core = TheCore();
  const FieldRegistry& reg = core.registry();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const ParsedBaggage parsed = ParseBaggage(input);
  CheckParsed(parsed);

  std::vector<FieldValue> values;
  ExtractMelleaFields(reg, parsed.members, &values);
  CHECK(values.size() == reg.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const FieldValue& v = values[i];
    if (!v.set) continue;
    CHECK(v.type == reg.at(i).type);
    if (v.type == FieldType::kString) {
      CHECK(ValidateStringValue(v.text, reg.max_value_bytes()) == Status::kOk);
    } else if (v.type == FieldType::kInteger) {
      CHECK(reg.ValidateInteger(i, v.integer) == Status::kOk);
    } else {
      CHECK(v.integer == 0 || v.integer == 1);
    }
  }

  // Our members re-encode no longer than they arrived, so merged with the
  // input itself they always fit: the round trip must be exact, and every
  // other member must come back as it was.
  for (std::string_view existing : {std::string_view(), input}) {
    const std::string out = SerializeBaggage(reg, values, existing);
    CHECK(out.size() <= kBaggageMaxBytes);
    const ParsedBaggage back = ParseBaggage(out);
    CheckParsed(back);
    CHECK(back.dropped == 0);
    std::vector<FieldValue> again;
    ExtractMelleaFields(reg, back.members, &again);
    for (size_t i = 0; i < values.size(); ++i) CHECK(Same(values[i], again[i]));
    size_t ours = 0;
    for (const FieldValue& v : values) ours += v.set;
    if (existing.empty()) {
      CHECK(back.members.size() == ours);
      continue;
    }
    size_t others = 0;
    for (const BaggageMember& m : parsed.members) {
      const std::string_view key = m.key;
      const int index = key.substr(0, kBaggagePrefix.size()) == kBaggagePrefix
                            ? reg.Find(key.substr(kBaggagePrefix.size()))
                            : -1;
      if (index >= 0 && values[static_cast<size_t>(index)].set) continue;
      ++others;
      bool found = false;
      for (const BaggageMember& b : back.members) {
        if (b.key != m.key) continue;
        CHECK(b.raw_value == m.raw_value && b.properties == m.properties);
        found = true;
      }
      CHECK(found);
    }
    CHECK(back.members.size() == ours + others);
  }

  // The boundary path: extract's output is accepted by scope creation as it
  // is, and inject from that scope gives the same header as above.
  if (size > core.io_capacity()) return 0;  // JS never copies more than the input area
  uint8_t* io = core.Reserve(size);
  CHECK(io != nullptr);
  if (size > 0) std::memcpy(io, data, size);
  size_t len = 0;
  CHECK(BaggageExtract(core, size, &len) == Status::kOk && len >= 4);
  std::memmove(core.Reserve(len), core.output(), len - 4);  // extract's output in, as JS does
  uint64_t handle = 0;
  int bad_field = 0;
  CHECK(core.CreateScope(len - 4, &handle, &bad_field) == Status::kOk);
  io = core.Reserve(size);
  if (size > 0) std::memcpy(io, data, size);
  CHECK(BaggageInject(core, handle, size, &len) == Status::kOk);
  CHECK(std::string_view(core.output(), len) ==
        SerializeBaggage(reg, values, input));
  CHECK(core.ReleaseScope(handle) == Status::kOk);
  return 0;
}

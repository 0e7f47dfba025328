// Fuzzes formatRecord and scopeFragment through the Core's I/O buffer.
// Input: first byte = mode (bit 7: the rest is raw wire input; bits 0-1: the
// scope: none, built-ins, defined fields with reserved names, stale). Else
// the rest splits on 0xFE into timestamp, level, message, exception, extra,
// redaction (each byte taken % 3). Invariants: the line is one line of JSON
// with unique keys, timestamp/level/message first, scope keys before
// "exception" in registry order, omitted fields absent, hashed ones 16 hex.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core.h"
#include "fields.h"
#include "json_keys.h"
#include "record.h"

namespace {

using Json = nlohmann::ordered_json;
using mellea::Status;

#define CHECK(cond) \
  if (!(cond)) __builtin_trap()

using KeySax = mellea_test::KeySax;

void AddEntry(std::vector<uint8_t>* buf, int field, mellea::FieldType type, const std::string& payload) {
  buf->push_back(static_cast<uint8_t>(field));
  buf->push_back(static_cast<uint8_t>(type));
  for (int k = 0; k < 4; ++k) buf->push_back(static_cast<uint8_t>(payload.size() >> (8 * k)));
  buf->insert(buf->end(), payload.begin(), payload.end());
}

struct World {
  mellea::Core core;
  uint64_t handles[4] = {0, 0, 0, 0};

  uint64_t Make(const std::vector<uint8_t>& e) {
    if (!e.empty()) std::memcpy(core.Reserve(e.size()), e.data(), e.size());
    uint64_t h = 0;
    int bad = -1;
    CHECK(core.CreateScope(e.size(), &h, &bad) == Status::kOk);
    return h;
  }

  World() {
    using mellea::FieldType;
    int idx[4];
    // "message" and "exception" can no longer be defined (kReservedName).
    const char* names[4] = {"tenant", "retries", "flag", "extra_unparsed"};
    const FieldType types[4] = {FieldType::kString, FieldType::kInteger, FieldType::kBoolean, FieldType::kString};
    for (int i = 0; i < 4; ++i) CHECK(core.registry().Define(names[i], types[i], &idx[i]) == Status::kOk);
    std::vector<uint8_t> e;
    AddEntry(&e, 0, FieldType::kString, "sess-1");
    AddEntry(&e, 1, FieldType::kString, "req-1");
    AddEntry(&e, 2, FieldType::kString, "model");
    AddEntry(&e, 3, FieldType::kInteger, "7");
    handles[1] = Make(e);
    e.clear();
    AddEntry(&e, 0, FieldType::kString, "s");
    AddEntry(&e, idx[0], FieldType::kString, "acme");
    AddEntry(&e, idx[1], FieldType::kInteger, "-5");
    AddEntry(&e, idx[2], FieldType::kBoolean, "1");
    AddEntry(&e, idx[3], FieldType::kString, "scope unparsed");
    handles[2] = Make(e);
    handles[3] = Make({});
    CHECK(core.ReleaseScope(handles[3]) == Status::kOk);
  }
};

bool IsHex16(const Json& v) {
  const auto* s = v.get_ptr<const Json::string_t*>();
  if (s == nullptr || s->size() != 16) return false;
  for (char c : *s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void CheckLine(const mellea::FieldRegistry& registry, const std::string& line, const std::string& message,
               bool has_exception, const std::string& redaction) {
  for (unsigned char c : line) CHECK(c >= 0x20 && c != 0x7F);
  KeySax sax;
  CHECK(Json::sax_parse(line, &sax));
  const Json j = Json::parse(line, nullptr, false);
  CHECK(!j.is_discarded() && j.is_object());
  const std::vector<std::string>& keys = sax.keys;
  CHECK(std::set<std::string>(keys.begin(), keys.end()).size() == keys.size());
  CHECK(keys.size() >= 3 && keys[0] == "timestamp" && keys[1] == "level" && keys[2] == "message");
  if (mellea::IsWellFormedUtf8(message)) CHECK(*j.find("message")->get_ptr<const Json::string_t*>() == message);
  size_t scope_end = keys.size();
  if (has_exception) {
    scope_end = 3;
    while (scope_end < keys.size() && keys[scope_end] != "exception") ++scope_end;
    CHECK(scope_end < keys.size());
    int last = -1;
    for (size_t i = 3; i < scope_end; ++i) {
      const int field = registry.Find(keys[i]);
      CHECK(field > last);
      last = field;
    }
  }
  for (size_t i = 0; i < redaction.size() && i < registry.size(); ++i) {
    const std::string& name = registry.at(i).name;
    const auto it = j.find(name);
    if (name == "timestamp" || name == "level" || name == "message" || (has_exception && name == "exception")) {
      continue;
    }
    if (redaction[i] == 2) CHECK(it == j.end());
    if (redaction[i] == 1 && it != j.end()) CHECK(IsHex16(*it));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  mellea::Core& core = world.core;
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const uint64_t handle = world.handles[mode & 3];
  ++data;
  --size;
  size_t len = 0;
  if (mode & 0x80) {
    if (size > core.io_capacity()) return 0;
    if (size > 0) std::memcpy(core.Reserve(size), data, size);
    const Status s = mellea::FormatRecordIo(core, handle, size, &len);
    CHECK(s == Status::kOk || s == Status::kMalformed || s == Status::kStaleHandle);
    return 0;
  }
  std::string sections[6];
  int k = 0;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0xFE && k < 5) {
      ++k;
    } else {
      sections[k].push_back(static_cast<char>(data[i]));
    }
  }
  for (char& c : sections[5]) c = static_cast<char>(static_cast<uint8_t>(c) % 3);
  std::vector<uint8_t> wire;
  for (const auto& s : sections) {
    for (int b = 0; b < 4; ++b) wire.push_back(static_cast<uint8_t>(s.size() >> (8 * b)));
  }
  for (const auto& s : sections) wire.insert(wire.end(), s.begin(), s.end());
  if (wire.size() > core.io_capacity()) return 0;
  std::memcpy(core.Reserve(wire.size()), wire.data(), wire.size());
  Status s = mellea::FormatRecordIo(core, handle, wire.size(), &len);
  if ((mode & 3) == 3) {
    CHECK(s == Status::kStaleHandle);
    return 0;
  }
  CHECK(s == Status::kOk);
  const std::string line(core.output(), len);
  CheckLine(core.registry(), line, sections[2], !sections[3].empty(), sections[5]);

  // The fragment spliced into braces is an object with unique keys.
  uint8_t* io = core.Reserve(sections[5].size() + 1);
  if (!sections[5].empty()) std::memcpy(io, sections[5].data(), sections[5].size());
  s = mellea::ScopeFragmentIo(core, handle, sections[5].size(), &len);
  CHECK(s == Status::kOk);
  const std::string fragment(core.output(), len);
  CHECK(fragment.empty() || fragment[0] == ',');
  const std::string object = "{" + (fragment.empty() ? std::string() : fragment.substr(1)) + "}";
  KeySax sax;
  CHECK(Json::sax_parse(object, &sax));
  CHECK(std::set<std::string>(sax.keys.begin(), sax.keys.end()).size() == sax.keys.size());
  return 0;
}

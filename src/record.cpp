#include "record.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "json_string.h"
#include "sha256.h"
#include "utf8.h"

namespace mellea {

namespace {

using Json = nlohmann::ordered_json;

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

std::string ToWellFormed(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    const Utf8Seq seq = NextUtf8(p + i, s.size() - i);
    if (seq.ok) {
      out.append(s.data() + i, seq.len);
    } else {
      out.append(kReplacement);
    }
    i += seq.len;
  }
  return out;
}

bool Hex4(const std::string& s, size_t i, uint32_t* v) {
  if (i + 4 > s.size()) return false;
  *v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    const char c = s[k];
    uint32_t d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    *v = (*v << 4) | d;
  }
  return true;
}

// JSON.stringify writes a lone surrogate as "\ud800", which nlohmann rejects;
// turning it into \ufffd keeps the rest of the caller's fields.
void FixLoneSurrogateEscapes(std::string* text) {
  std::string& s = *text;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      in_string = !in_string;
      continue;
    }
    if (!in_string || c != '\\') continue;
    uint32_t u = 0;
    if (i + 1 >= s.size() || s[i + 1] != 'u' || !Hex4(s, i + 2, &u)) {
      ++i;  // skips the escaped character, so \\ and \" cannot confuse us
      continue;
    }
    uint32_t low = 0;
    if (u >= 0xD800 && u <= 0xDBFF && i + 12 <= s.size() && s[i + 6] == '\\' && s[i + 7] == 'u' &&
        Hex4(s, i + 8, &low) && low >= 0xDC00 && low <= 0xDFFF) {
      i += 11;
      continue;
    }
    if (u >= 0xD800 && u <= 0xDFFF) s.replace(i + 2, 4, "fffd");
    i += 5;
  }
}

using Members = Json::object_t::Container;

// Positions of a big object's members by key: open addressing over the
// members' own keys (nothing copied), FNV-1a, at most half full. Measured:
// std::unordered_map here linked libc++'s prime-sized rehashing, 1.2 KB of
// the wasm gzipped; like it, the hash has no seed.
class MemberIndex {
 public:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  bool built() const { return !slots_.empty(); }

  // Indexes every member.
  void Build(const Members& members) { Rehash(members, 64); }

  // The position of key among members, or kNone.
  size_t Find(const Members& members, const std::string& key) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = Hash(key) & mask;; i = (i + 1) & mask) {
      const size_t slot = slots_[i];
      if (slot == 0) return kNone;
      if (members[slot - 1].first == key) return slot - 1;
    }
  }

  // Indexes members.back(), just appended.
  void AddLast(const Members& members) {
    if (members.size() * 2 > slots_.size()) {
      Rehash(members, slots_.size() * 2);
    } else {
      Insert(members, members.size() - 1);
    }
  }

 private:
  static size_t Hash(const std::string& key) {
    uint32_t h = 2166136261u;
    for (const unsigned char c : key) h = (h ^ c) * 16777619u;
    return h;
  }

  void Insert(const Members& members, size_t position) {
    const size_t mask = slots_.size() - 1;
    size_t i = Hash(members[position].first) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = position + 1;  // 0 marks an empty slot
  }

  void Rehash(const Members& members, size_t capacity) {
    while (capacity < members.size() * 2) capacity *= 2;
    slots_.assign(capacity, 0);
    for (size_t p = 0; p < members.size(); ++p) Insert(members, p);
  }

  std::vector<size_t> slots_;  // member position + 1; a power-of-two count
};

// Builds an ordered_json tree with a key index for big objects (ordered_map
// alone is linear per insertion, quadratic over a big object) and a depth
// limit, so a huge or deep caller object cannot stall the log call or
// overflow the wasm stack.
class ExtraBuilder {
 public:
  Json root;

  bool null() { return Place(Json(nullptr)) != nullptr; }
  bool boolean(bool v) { return Place(Json(v)) != nullptr; }
  bool number_integer(Json::number_integer_t v) { return Place(Json(v)) != nullptr; }
  bool number_unsigned(Json::number_unsigned_t v) { return Place(Json(v)) != nullptr; }
  bool number_float(Json::number_float_t v, const Json::string_t&) { return Place(Json(v)) != nullptr; }
  bool string(Json::string_t& v) { return Place(Json(std::move(v))) != nullptr; }
  bool binary(Json::binary_t&) { return false; }
  bool start_object(std::size_t) { return Open(Json::object()); }
  bool start_array(std::size_t) { return Open(Json::array()); }
  bool key(Json::string_t& k) {
    key_ = std::move(k);
    return true;
  }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

 private:
  struct Frame {
    Json* node;
    MemberIndex index;  // for big objects
  };

  Json* Place(Json&& v) {
    if (frames_.empty()) {
      root = std::move(v);
      return &root;
    }
    Frame& f = frames_.back();
    if (auto* arr = f.node->get_ptr<Json::array_t*>()) {
      arr->push_back(std::move(v));
      return &arr->back();
    }
    auto* obj = f.node->get_ptr<Json::object_t*>();
    if (obj == nullptr) return nullptr;
    auto& members = static_cast<Members&>(*obj);
    if (Json* existing = Find(&f, members)) {
      *existing = std::move(v);  // last value wins, first position stays
      return existing;
    }
    members.emplace_back(std::move(key_), std::move(v));
    if (f.index.built()) f.index.AddLast(members);
    return &members.back().second;
  }

  // Small objects (the usual case) are scanned; an index is built once an
  // object grows past kScanMembers.
  static constexpr size_t kScanMembers = 16;
  Json* Find(Frame* f, Members& members) {
    if (!f->index.built()) {
      if (members.size() < kScanMembers) {
        for (auto& m : members) {
          if (m.first == key_) return &m.second;
        }
        return nullptr;
      }
      f->index.Build(members);
    }
    const size_t at = f->index.Find(members, key_);
    return at == MemberIndex::kNone ? nullptr : &members[at].second;
  }

  bool Open(Json&& container) {
    if (frames_.size() >= kMaxExtraDepth) return false;
    Json* node = Place(std::move(container));
    if (node == nullptr) return false;
    frames_.push_back({node, {}});
    return true;
  }

  bool Close() {
    if (frames_.empty()) return false;
    frames_.pop_back();
    return true;
  }

  std::vector<Frame> frames_;
  std::string key_;
};

// Always an object: the caller's, or {"extra_unparsed": text}.
Json ParseExtra(std::string_view raw) {
  std::string text = ToWellFormed(raw);
  FixLoneSurrogateEscapes(&text);
  ExtraBuilder builder;
  if (Json::sax_parse(text, &builder) && builder.root.is_object()) return std::move(builder.root);
  Json fallback = Json::object();
  fallback["extra_unparsed"] = std::move(text);
  return fallback;
}

// Numbers, booleans and null of the caller's extra JSON. nlohmann parses
// them; writing them is ours, so no nlohmann serializer is used anywhere.
void AppendJsonScalar(const Json& v, std::string* out) {
  char buf[32];
  if (const auto* b = v.get_ptr<const Json::boolean_t*>()) {
    out->append(*b ? "true" : "false");
  } else if (const auto* i = v.get_ptr<const Json::number_integer_t*>()) {
    const auto r = std::to_chars(buf, buf + sizeof(buf), *i);
    out->append(buf, static_cast<size_t>(r.ptr - buf));
  } else if (const auto* u = v.get_ptr<const Json::number_unsigned_t*>()) {
    const auto r = std::to_chars(buf, buf + sizeof(buf), *u);
    out->append(buf, static_cast<size_t>(r.ptr - buf));
  } else if (const auto* f = v.get_ptr<const Json::number_float_t*>()) {
    // Shortest text that reads back the same double, as JSON.stringify
    // writes it. nlohmann's number formatter (Grisu2), because Emscripten's
    // libc++ has no floating-point std::to_chars; its serializer is not used.
    if (*f != *f || *f - *f != 0) {
      out->append("null");
    } else {
      char* end = nlohmann::detail::to_chars(buf, buf + sizeof(buf) - 1, *f);
      out->append(buf, static_cast<size_t>(end - buf));
    }
  } else {
    out->append("null");
  }
}

void AppendJsonValue(const Json& v, std::string* out) {
  if (const auto* s = v.get_ptr<const Json::string_t*>()) {
    AppendJsonString(*s, out);
  } else if (const auto* obj = v.get_ptr<const Json::object_t*>()) {
    out->push_back('{');
    bool first = true;
    for (const auto& member : *obj) {
      if (!first) out->push_back(',');
      first = false;
      AppendJsonString(member.first, out);
      out->push_back(':');
      AppendJsonValue(member.second, out);
    }
    out->push_back('}');
  } else if (const auto* arr = v.get_ptr<const Json::array_t*>()) {
    out->push_back('[');
    for (size_t i = 0; i < arr->size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendJsonValue((*arr)[i], out);
    }
    out->push_back(']');
  } else {
    AppendJsonScalar(v, out);
  }
}

std::string ValueText(const FieldValue& v) {
  switch (v.type) {
    case FieldType::kString:
      return v.text;
    case FieldType::kInteger: {
      char digits[24];
      const auto r = std::to_chars(digits, digits + sizeof(digits), v.integer);
      return std::string(digits, static_cast<size_t>(r.ptr - digits));
    }
    case FieldType::kBoolean:
      return v.integer != 0 ? "true" : "false";
  }
  return std::string();
}

// No cache of plaintext values here: the JS layer keeps one fragment per
// scope and redaction, so a scope's values are hashed once, not per line.
void AppendHashed(std::string_view text, std::string* out) {
  out->push_back('"');
  out->append(Sha256Hex(text, kRedactedHexChars));
  out->push_back('"');
}

// `,"name":value` for one scope field.
void AppendScopeField(const std::string& name, const FieldValue& v, Redaction mode, std::string* out) {
  out->append(",\"").append(name).append("\":");  // names are [a-z0-9_]: nothing to escape
  if (mode == Redaction::kHash) {
    AppendHashed(ValueText(v), out);
    return;
  }
  switch (v.type) {
    case FieldType::kString:
      AppendJsonString(v.text, out);
      break;
    case FieldType::kInteger: {
      char digits[24];
      const auto r = std::to_chars(digits, digits + sizeof(digits), v.integer);
      out->append(digits, static_cast<size_t>(r.ptr - digits));
      break;
    }
    case FieldType::kBoolean:
      out->append(v.integer != 0 ? "true" : "false");
      break;
  }
}

Status CheckRedaction(std::string_view redaction) {
  for (const char c : redaction) {
    if (static_cast<uint8_t>(c) > static_cast<uint8_t>(Redaction::kOmit)) return Status::kMalformed;
  }
  return Status::kOk;
}

Redaction ModeOf(std::string_view redaction, int field) {
  if (field < 0 || static_cast<size_t>(field) >= redaction.size()) return Redaction::kNone;
  return static_cast<Redaction>(redaction[static_cast<size_t>(field)]);
}

uint32_t ReadU32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

Status DecodeRecordInput(const uint8_t* data, size_t len, RecordInput* out) {
  if (data == nullptr || len < kRecordHeaderBytes) return Status::kMalformed;
  uint64_t lens[6];
  uint64_t total = 0;
  for (int k = 0; k < 6; ++k) {
    lens[k] = ReadU32(data + 4 * k);
    total += lens[k];
  }
  if (total != len - kRecordHeaderBytes) return Status::kMalformed;
  std::string_view* sections[6] = {&out->timestamp, &out->level, &out->message,
                                   &out->exception, &out->extra, &out->redaction};
  const char* p = reinterpret_cast<const char*>(data) + kRecordHeaderBytes;
  for (int k = 0; k < 6; ++k) {
    *sections[k] = std::string_view(p, static_cast<size_t>(lens[k]));
    p += lens[k];
  }
  return Status::kOk;
}

Status FormatRecord(const FieldRegistry& registry, const std::vector<FieldValue>* scope,
                    const RecordInput& in, std::string* out) {
  const Status s = CheckRedaction(in.redaction);
  if (s != Status::kOk) return s;
  const size_t input_bytes = in.timestamp.size() + in.level.size() + in.message.size() +
                             in.exception.size() + in.extra.size();
  if (input_bytes > kMaxRecordTextBytes) return Status::kTooLong;

  const bool has_exception = !in.exception.empty();
  auto reserved = [has_exception](std::string_view key) {
    return key == "timestamp" || key == "level" || key == "message" || (has_exception && key == "exception");
  };
  static const Json::object_t kNoMembers;
  Json extra;  // null unless the caller gave fields: no allocation on the common path
  if (!in.extra.empty()) extra = ParseExtra(in.extra);
  const auto* extra_members = extra.is_object() ? extra.get_ptr<const Json::object_t*>() : &kNoMembers;
  uint64_t shadowed = 0;  // scope fields the caller gave itself; kMaxFields == 64
  for (const auto& member : *extra_members) {
    const int field = registry.Find(member.first);
    if (field >= 0 && field < 64) shadowed |= uint64_t{1} << field;
  }

  std::string& line = *out;
  // Grown only: the core's output string keeps the capacity it reserved
  // once (Core::scratch_out), and this libc++ (LLVM 14, Emscripten 3.1.6)
  // takes a reserve() below the capacity as a request to shrink: each line
  // freed the output area and allocated it again as the line grew.
  const size_t wanted = line.size() + input_bytes + 64 * (1 + (scope ? scope->size() : 0));
  if (line.capacity() < wanted) line.reserve(wanted);
  line.append("{\"timestamp\":");
  AppendJsonString(in.timestamp, &line);
  line.append(",\"level\":");
  AppendJsonString(in.level, &line);
  line.append(",\"message\":");
  AppendJsonString(in.message, &line);
  const size_t scope_fields = scope ? std::min(scope->size(), registry.size()) : 0;
  for (size_t i = 0; i < scope_fields; ++i) {
    const FieldValue& v = (*scope)[i];
    const std::string& name = registry.at(i).name;
    const Redaction mode = ModeOf(in.redaction, static_cast<int>(i));
    if (!v.set || mode == Redaction::kOmit || (shadowed >> i & 1) || reserved(name)) continue;
    AppendScopeField(name, v, mode, &line);
  }
  if (has_exception) {
    line.append(",\"exception\":");
    AppendJsonString(in.exception, &line);
  }
  for (const auto& member : *extra_members) {
    if (reserved(member.first)) continue;
    const Redaction mode = ModeOf(in.redaction, registry.Find(member.first));
    if (mode == Redaction::kOmit) continue;
    line.push_back(',');
    AppendJsonString(member.first, &line);
    line.push_back(':');
    if (mode != Redaction::kHash) {
      AppendJsonValue(member.second, &line);
    } else if (const auto* str = member.second.get_ptr<const Json::string_t*>()) {
      AppendHashed(*str, &line);
    } else {
      std::string text;
      AppendJsonValue(member.second, &text);
      AppendHashed(text, &line);
    }
  }
  line.push_back('}');
  return Status::kOk;
}

Status ScopeFragment(const FieldRegistry& registry, const std::vector<FieldValue>* scope,
                     std::string_view redaction, std::string* out) {
  const Status s = CheckRedaction(redaction);
  if (s != Status::kOk) return s;
  const size_t n = scope ? std::min(scope->size(), registry.size()) : 0;
  for (size_t i = 0; i < n; ++i) {
    const FieldValue& v = (*scope)[i];
    const Redaction mode = ModeOf(redaction, static_cast<int>(i));
    if (v.set && mode != Redaction::kOmit) AppendScopeField(registry.at(i).name, v, mode, out);
  }
  return Status::kOk;
}

namespace {

Status LookupScope(Core& core, uint64_t handle, const std::vector<FieldValue>** scope) {
  *scope = nullptr;
  if (handle == 0) return Status::kOk;
  *scope = core.ValuesOf(handle);
  return *scope == nullptr ? Status::kStaleHandle : Status::kOk;
}

}  // namespace

Status FormatRecordIo(Core& core, uint64_t handle, size_t in_len, size_t* out_len) {
  const std::vector<FieldValue>* scope = nullptr;
  Status s = LookupScope(core, handle, &scope);
  if (s != Status::kOk) return s;
  if (in_len > core.io_capacity()) return Status::kMalformed;
  RecordInput in;
  s = DecodeRecordInput(core.data(), in_len, &in);
  if (s != Status::kOk) return s;
  std::string& line = core.scratch_out();
  line.clear();
  s = FormatRecord(core.registry(), scope, in, &line);
  if (s != Status::kOk) return s;
  return core.FinishOut(out_len);
}

Status ScopeFragmentIo(Core& core, uint64_t handle, size_t redaction_len, size_t* out_len) {
  const std::vector<FieldValue>* scope = nullptr;
  Status s = LookupScope(core, handle, &scope);
  if (s != Status::kOk) return s;
  if (redaction_len > core.io_capacity()) return Status::kMalformed;
  const std::string_view redaction(reinterpret_cast<const char*>(core.data()), redaction_len);
  std::string& fragment = core.scratch_out();
  fragment.clear();
  s = ScopeFragment(core.registry(), scope, redaction, &fragment);
  if (s != Status::kOk) return s;
  return core.FinishOut(out_len);
}

}  // namespace mellea

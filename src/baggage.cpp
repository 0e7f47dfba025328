#include "baggage.h"

#include <charconv>

namespace mellea {

namespace {

constexpr size_t kNpos = std::string_view::npos;

// Byte classes, one table lookup per byte. Measured (bench/baggage.bench.mjs,
// --profiling-funcs build): with a find() over "!#$%&'*+-.^_`|~" per byte and
// one push_back call per decoded byte (libc++'s string members are not
// inlined into the wasm), the parser spent three quarters of an 8 KB extract
// in those calls.
constexpr uint8_t kTchar = 1;
constexpr uint8_t kOctet = 2;

struct ByteClasses {
  uint8_t of[256];
  constexpr ByteClasses() : of() {
    for (int c = 0; c < 256; ++c) {
      const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      bool tchar = alnum;
      for (const char* p = "!#$%&'*+-.^_`|~"; *p != '\0'; ++p) tchar = tchar || c == *p;
      // Excludes CTLs, space, '"', ',', ';', '\' and everything non-ASCII, so
      // a value made of these can be re-sent in a header as it is.
      const bool octet = c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
                         (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
      of[c] = static_cast<uint8_t>((tchar ? kTchar : 0) | (octet ? kOctet : 0));
    }
  }
};
constexpr ByteClasses kClasses;

bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if ((kClasses.of[static_cast<unsigned char>(c)] & kTchar) == 0) return false;
  }
  return true;
}

bool IsBaggageOctet(unsigned char c) { return (kClasses.of[c] & kOctet) != 0; }

bool IsBaggageValue(std::string_view s) {
  for (char c : s) {
    if (!IsBaggageOctet(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes the %XX escapes of `in` into `out` (room for in.size() bytes).
// Returns the decoded length, or kNpos on a bad escape or a result that is
// not well-formed UTF-8 (checked only when a byte is non-ASCII).
size_t DecodeInto(std::string_view in, char* out) {
  const size_t n = in.size();
  const char* s = in.data();
  size_t w = 0;
  unsigned high = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    if (c == '%') {
      if (n - i < 3) return kNpos;
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return kNpos;
      c = static_cast<char>((hi << 4) | lo);
      i += 2;
    }
    high |= static_cast<unsigned char>(c);
    out[w++] = c;
  }
  if ((high & 0x80) != 0 && !IsWellFormedUtf8(std::string_view(out, w))) return kNpos;
  return w;
}

// Calls f on each non-blank, OWS-trimmed list entry.
template <typename F>
void ForEachEntry(std::string_view list, F f) {
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == kNpos) comma = list.size();
    const std::string_view entry = Trim(list.substr(pos, comma - pos));
    pos = comma + 1;
    if (!entry.empty()) f(entry);
  }
}

// Properties are not decoded: they are only re-sent, and their characters
// are already safe in a header. `out` (nullable) gets them normalized.
bool ParseProperties(std::string_view text, std::string* out) {
  if (out != nullptr) out->clear();
  size_t pos = 0;
  while (true) {
    const size_t semi = text.find(';', pos);
    const std::string_view prop = Trim(text.substr(pos, semi == kNpos ? kNpos : semi - pos));
    if (!prop.empty()) {
      const size_t eq = prop.find('=');
      const std::string_view key = Trim(prop.substr(0, eq));
      if (!IsToken(key)) return false;
      std::string_view value;
      if (eq != kNpos) {
        value = Trim(prop.substr(eq + 1));
        if (!IsBaggageValue(value)) return false;
      }
      if (out != nullptr) {
        if (!out->empty()) out->push_back(';');
        out->append(key);
        if (eq != kNpos) {
          out->push_back('=');
          out->append(value);
        }
      }
    }
    if (semi == kNpos) return true;
    pos = semi + 1;
  }
}

// One well-formed member, as views into the header.
struct MemberView {
  std::string_view key;
  std::string_view raw;         // the value as received
  std::string_view properties;  // the text after the first ';' (unparsed)
  bool has_properties = false;
  uint32_t key_hash = 0;
};

// Validates one list entry without copying it: key a token, value
// baggage-octets with good escapes decoding to well-formed UTF-8 (the
// decoded bytes are left in *scratch, `decoded` of them), properties valid.
bool ScanMember(std::string_view entry, MemberView* m, std::string* scratch, size_t* decoded) {
  const size_t semi = entry.find(';');
  const std::string_view head = entry.substr(0, semi);
  const size_t eq = head.find('=');
  if (eq == kNpos) return false;
  const std::string_view key = Trim(head.substr(0, eq));
  const std::string_view raw = Trim(head.substr(eq + 1));
  if (key.empty()) return false;
  // FNV-1a while checking the token: duplicate detection compares hashes first.
  uint32_t hash = 2166136261u;
  for (char c : key) {
    if ((kClasses.of[static_cast<unsigned char>(c)] & kTchar) == 0) return false;
    hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  }
  if (!IsBaggageValue(raw)) return false;
  if (scratch->size() < raw.size()) scratch->resize(raw.size() < 256 ? 256 : raw.size());
  const size_t length = DecodeInto(raw, &(*scratch)[0]);
  if (length == kNpos) return false;
  m->has_properties = semi != kNpos;
  m->properties = m->has_properties ? entry.substr(semi + 1) : std::string_view();
  if (m->has_properties && !ParseProperties(m->properties, nullptr)) return false;
  m->key = key;
  m->raw = raw;
  m->key_hash = hash;
  *decoded = length;
  return true;
}

// The part of the header that is parsed: members that end within the read
// limit (never a cut member); *dropped counts the entries past it.
std::string_view ReadableBody(std::string_view header, size_t* dropped) {
  if (header.size() <= kBaggageMaxBytes) return header;
  const size_t cut = header.rfind(',', kBaggageMaxBytes);
  ForEachEntry(cut == kNpos ? header : header.substr(cut + 1), [&](std::string_view) { ++*dropped; });
  return cut == kNpos ? std::string_view() : header.substr(0, cut);
}

bool ParseFieldText(const FieldRegistry& registry, size_t index, std::string_view text,
                    FieldValue* out) {
  const FieldSpec& spec = registry.at(index);
  FieldValue v;
  v.set = true;
  v.type = spec.type;
  switch (spec.type) {
    case FieldType::kString:
      if (ValidateStringValue(text, registry.max_value_bytes()) != Status::kOk) return false;
      v.text.assign(text.data(), text.size());
      break;
    case FieldType::kInteger: {
      // from_chars takes an optional '-' only: no '+', no spaces.
      if (text.empty() || text.size() > 20) return false;
      const char* last = text.data() + text.size();
      const auto [ptr, ec] = std::from_chars(text.data(), last, v.integer);
      if (ec != std::errc() || ptr != last) return false;
      if (registry.ValidateInteger(index, v.integer) != Status::kOk) return false;
      break;
    }
    case FieldType::kBoolean:
      if (text == "true") {
        v.integer = 1;
      } else if (text == "false") {
        v.integer = 0;
      } else {
        return false;
      }
      break;
  }
  *out = std::move(v);
  return true;
}

// Index of the field a mellea.<field> key names, or -1.
int MelleaField(const FieldRegistry& registry, std::string_view key) {
  if (key.substr(0, kBaggagePrefix.size()) != kBaggagePrefix) return -1;
  return registry.Find(key.substr(kBaggagePrefix.size()));
}

std::string IntegerText(int64_t v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// The fields of a header, as ParseBaggage + ExtractMelleaFields give them,
// without building a member for each foreign entry: keys stay views into
// the header, and only the winning mellea.* values are decoded again.
// Returns the dropped + rejected count.
size_t ExtractFromHeader(const FieldRegistry& registry, std::string_view header,
                         std::vector<FieldValue>* values) {
  size_t dropped = 0;
  const std::string_view body = ReadableBody(header, &dropped);
  MemberView kept[kBaggageMaxMembers];
  size_t count = 0;
  std::string scratch;
  MemberView m;
  size_t decoded = 0;
  ForEachEntry(body, [&](std::string_view entry) {
    if (!ScanMember(entry, &m, &scratch, &decoded)) {
      ++dropped;
      return;
    }
    for (size_t i = 0; i < count; ++i) {
      if (kept[i].key_hash == m.key_hash && kept[i].key == m.key) {
        kept[i] = m;
        ++dropped;
        return;
      }
    }
    if (count >= kBaggageMaxMembers) {
      ++dropped;
      return;
    }
    kept[count++] = m;
  });
  values->assign(registry.size(), FieldValue{});
  for (size_t i = 0; i < count; ++i) {
    const MemberView& k = kept[i];
    if (k.key.substr(0, kBaggagePrefix.size()) != kBaggagePrefix) continue;
    const int index = registry.Find(k.key.substr(kBaggagePrefix.size()));
    bool ok = index >= 0;
    if (ok) {
      if (scratch.size() < k.raw.size()) scratch.resize(k.raw.size());
      // Valid already (ScanMember accepted it).
      const size_t length = DecodeInto(k.raw, &scratch[0]);
      ok = length != kNpos && ParseFieldText(registry, static_cast<size_t>(index),
                                             std::string_view(scratch.data(), length),
                                             &(*values)[static_cast<size_t>(index)]);
    }
    if (!ok) ++dropped;
  }
  return dropped;
}

}  // namespace

bool PercentDecode(std::string_view in, std::string* out) {
  out->resize(in.size());
  const size_t length = DecodeInto(in, &(*out)[0]);
  if (length == kNpos) {
    out->clear();
    return false;
  }
  out->resize(length);
  return true;
}

std::string PercentEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    const auto b = static_cast<unsigned char>(c);
    if (IsBaggageOctet(b) && c != '%') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0F]);
    }
  }
  return out;
}

ParsedBaggage ParseBaggage(std::string_view header) {
  ParsedBaggage out;
  const std::string_view body = ReadableBody(header, &out.dropped);
  std::string scratch;
  MemberView view;
  size_t decoded = 0;
  ForEachEntry(body, [&](std::string_view entry) {
    if (!ScanMember(entry, &view, &scratch, &decoded)) {
      ++out.dropped;
      return;
    }
    BaggageMember m;
    m.key.assign(view.key.data(), view.key.size());
    m.raw_value.assign(view.raw.data(), view.raw.size());
    m.value.assign(scratch.data(), decoded);
    if (view.has_properties) ParseProperties(view.properties, &m.properties);
    for (BaggageMember& kept : out.members) {
      if (kept.key == m.key) {
        kept = std::move(m);
        ++out.dropped;
        return;
      }
    }
    if (out.members.size() >= kBaggageMaxMembers) {
      ++out.dropped;
      return;
    }
    out.members.push_back(std::move(m));
  });
  return out;
}

size_t ExtractMelleaFields(const FieldRegistry& registry, const std::vector<BaggageMember>& members,
                           std::vector<FieldValue>* values) {
  values->assign(registry.size(), FieldValue{});
  size_t rejected = 0;
  for (const BaggageMember& m : members) {
    if (m.key.compare(0, kBaggagePrefix.size(), kBaggagePrefix) != 0) continue;
    const int index = registry.Find(std::string_view(m.key).substr(kBaggagePrefix.size()));
    // Keys are unique after parsing, so a field is never set twice here.
    if (index < 0 || !ParseFieldText(registry, static_cast<size_t>(index), m.value,
                                     &(*values)[static_cast<size_t>(index)])) {
      ++rejected;
    }
  }
  return rejected;
}

std::string SerializeBaggage(const FieldRegistry& registry, const std::vector<FieldValue>& values,
                             std::string_view existing) {
  std::string out;
  size_t count = 0;
  std::string member;
  const auto append = [&]() {
    const size_t need = member.size() + (out.empty() ? 0 : 1);
    if (count >= kBaggageMaxMembers || out.size() + need > kBaggageMaxBytes) return;
    if (!out.empty()) out.push_back(',');
    out.append(member);
    ++count;
  };
  for (size_t i = 0; i < values.size(); ++i) {
    const FieldValue& v = values[i];
    if (!v.set) continue;
    member.assign(kBaggagePrefix);
    member.append(registry.at(i).name);
    member.push_back('=');
    switch (v.type) {
      case FieldType::kString:
        member.append(PercentEncode(v.text));
        break;
      case FieldType::kInteger:
        member.append(IntegerText(v.integer));
        break;
      case FieldType::kBoolean:
        member.append(v.integer != 0 ? "true" : "false");
        break;
    }
    append();
  }
  const ParsedBaggage parsed = ParseBaggage(existing);
  for (const BaggageMember& m : parsed.members) {
    // A member for a field set here is replaced even when ours did not fit:
    // a stale value must never travel in its place.
    const int index = MelleaField(registry, m.key);
    if (index >= 0 && static_cast<size_t>(index) < values.size() &&
        values[static_cast<size_t>(index)].set) {
      continue;
    }
    member.assign(m.key);
    member.push_back('=');
    member.append(m.raw_value);
    if (!m.properties.empty()) {
      member.push_back(';');
      member.append(m.properties);
    }
    append();
  }
  return out;
}

Status BaggageExtract(Core& core, size_t in_len, size_t* out_len) {
  if (in_len > core.io_capacity()) return Status::kMalformed;
  std::vector<FieldValue> values;
  const size_t dropped = ExtractFromHeader(
      core.registry(), std::string_view(reinterpret_cast<const char*>(core.data()), in_len), &values);
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    const FieldValue& v = values[i];
    if (!v.set) continue;
    // Same payloads as ScopeStore::Create takes, so JS can pass them back.
    std::string payload;
    switch (v.type) {
      case FieldType::kString:
        payload = v.text;
        break;
      case FieldType::kInteger:
        payload = IntegerText(v.integer);
        break;
      case FieldType::kBoolean:
        payload = v.integer != 0 ? "1" : "0";
        break;
    }
    out.push_back(static_cast<char>(i));
    out.push_back(static_cast<char>(v.type));
    PutU32(&out, static_cast<uint32_t>(payload.size()));
    out.append(payload);
  }
  PutU32(&out, dropped > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(dropped));
  return core.WriteOut(out.data(), out.size(), out_len);
}

Status BaggageInject(Core& core, uint64_t handle, size_t existing_len, size_t* out_len) {
  if (existing_len > core.io_capacity()) return Status::kMalformed;
  const std::vector<FieldValue>* values = core.ValuesOf(handle);
  if (values == nullptr) return Status::kStaleHandle;
  const std::string out = SerializeBaggage(
      core.registry(), *values,
      std::string_view(reinterpret_cast<const char*>(core.data()), existing_len));
  return core.WriteOut(out.data(), out.size(), out_len);
}

}  // namespace mellea

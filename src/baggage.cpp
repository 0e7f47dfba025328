#include "baggage.h"

#include <charconv>

namespace mellea {

namespace {

constexpr size_t kNpos = std::string_view::npos;

bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 7230 tchar.
bool IsTchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != kNpos;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTchar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Excludes CTLs, space, '"', ',', ';', '\' and everything non-ASCII, so a
// value made of these can be re-sent in a header as it is.
bool IsBaggageOctet(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
         (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

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
// are already safe in a header.
bool ParseProperties(std::string_view text, std::string* out) {
  out->clear();
  size_t pos = 0;
  while (true) {
    const size_t semi = text.find(';', pos);
    const std::string_view prop = Trim(text.substr(pos, semi == kNpos ? kNpos : semi - pos));
    if (!prop.empty()) {
      const size_t eq = prop.find('=');
      const std::string_view key = Trim(prop.substr(0, eq));
      if (!IsToken(key)) return false;
      if (!out->empty()) out->push_back(';');
      out->append(key);
      if (eq != kNpos) {
        const std::string_view value = Trim(prop.substr(eq + 1));
        if (!IsBaggageValue(value)) return false;
        out->push_back('=');
        out->append(value);
      }
    }
    if (semi == kNpos) return true;
    pos = semi + 1;
  }
}

bool ParseMember(std::string_view entry, BaggageMember* m) {
  const size_t semi = entry.find(';');
  const std::string_view head = entry.substr(0, semi);
  const size_t eq = head.find('=');
  if (eq == kNpos) return false;
  const std::string_view key = Trim(head.substr(0, eq));
  const std::string_view raw = Trim(head.substr(eq + 1));
  if (!IsToken(key) || !IsBaggageValue(raw)) return false;
  if (!PercentDecode(raw, &m->value)) return false;
  m->properties.clear();
  if (semi != kNpos && !ParseProperties(entry.substr(semi + 1), &m->properties)) return false;
  m->key.assign(key);
  m->raw_value.assign(raw);
  return true;
}

bool ParseFieldText(const FieldRegistry& registry, size_t index, const std::string& text,
                    FieldValue* out) {
  const FieldSpec& spec = registry.at(index);
  FieldValue v;
  v.set = true;
  v.type = spec.type;
  switch (spec.type) {
    case FieldType::kString:
      if (ValidateStringValue(text, registry.max_value_bytes()) != Status::kOk) return false;
      v.text = text;
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

}  // namespace

bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (in.size() - i < 3) return false;
    const int hi = HexValue(in[i + 1]);
    const int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>((hi << 4) | lo));
    i += 2;
  }
  return IsWellFormedUtf8(*out);
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
  std::string_view body = header;
  if (header.size() > kBaggageMaxBytes) {
    // Never cut a member: keep those that end within the limit.
    const size_t cut = header.rfind(',', kBaggageMaxBytes);
    body = cut == kNpos ? std::string_view() : header.substr(0, cut);
    ForEachEntry(cut == kNpos ? header : header.substr(cut + 1),
                 [&](std::string_view) { ++out.dropped; });
  }
  BaggageMember m;
  ForEachEntry(body, [&](std::string_view entry) {
    if (!ParseMember(entry, &m)) {
      ++out.dropped;
      return;
    }
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
  const ParsedBaggage parsed =
      ParseBaggage(std::string_view(reinterpret_cast<const char*>(core.data()), in_len));
  std::vector<FieldValue> values;
  const size_t dropped = parsed.dropped + ExtractMelleaFields(core.registry(), parsed.members, &values);
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

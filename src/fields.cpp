#include "fields.h"

#include "utf8.h"

namespace mellea {

namespace {

bool IsControl(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

bool IsForbiddenFormatChar(uint32_t cp) {
  return cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

std::string CamelAlias(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '_' && i + 1 < name.size() && ((name[i + 1] >= 'a' && name[i + 1] <= 'z') || (name[i + 1] >= '0' && name[i + 1] <= '9'))) {
      const char n = name[++i];
      out.push_back(n >= 'a' && n <= 'z' ? static_cast<char>(n - 'a' + 'A') : n);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Status ValidateStringValue(std::string_view utf8, size_t max_bytes, uint32_t* bad_cp) {
  if (utf8.empty()) return Status::kEmpty;
  if (utf8.size() > max_bytes) return Status::kTooLong;
  const auto* p = reinterpret_cast<const unsigned char*>(utf8.data());
  const size_t n = utf8.size();
  if (IsPlainAscii(p, n)) return Status::kOk;  // the usual ids and names
  for (size_t i = PlainAsciiRun(p, n, false); i < n;) {
    const unsigned char b = p[i];
    if (b >= 0x20 && b < 0x7F) {  // printable ASCII: the usual ids and names
      i += PlainAsciiRun(p + i, n - i, false);
      continue;
    }
    const Utf8Seq seq = NextUtf8(p + i, n - i);
    if (!seq.ok) return Status::kInvalidUtf8;
    if (IsControl(seq.cp) || IsForbiddenFormatChar(seq.cp)) {
      if (bad_cp != nullptr) *bad_cp = seq.cp;
      return IsControl(seq.cp) ? Status::kControlChar : Status::kForbiddenChar;
    }
    i += seq.len;
  }
  return Status::kOk;
}

bool IsWellFormedUtf8(std::string_view utf8) {
  const auto* p = reinterpret_cast<const unsigned char*>(utf8.data());
  for (size_t i = 0; i < utf8.size();) {
    const Utf8Seq seq = NextUtf8(p + i, utf8.size() - i);
    if (!seq.ok) return false;
    i += seq.len;
  }
  return true;
}

bool IsValidFieldName(std::string_view name) {
  if (name.empty() || name.size() > kMaxFieldNameBytes) return false;
  if (name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

FieldRegistry::FieldRegistry() {
  fields_.push_back({"session_id", "sessionId", FieldType::kString, 0, 0, true});
  fields_.push_back({"request_id", "requestId", FieldType::kString, 0, 0, true});
  fields_.push_back({"model_id", "modelId", FieldType::kString, 0, 0, true});
  fields_.push_back({"sampling_iteration", "samplingIteration", FieldType::kInteger, 0, 2147483647, true});
}

int FieldRegistry::Find(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Status FieldRegistry::Define(std::string_view name, FieldType type, int* index_out) {
  if (!IsValidFieldName(name)) return Status::kInvalidName;
  if (type != FieldType::kString && type != FieldType::kInteger && type != FieldType::kBoolean) {
    return Status::kWrongType;
  }
  const int existing = Find(name);
  if (existing >= 0) {
    const FieldSpec& spec = fields_[static_cast<size_t>(existing)];
    if (spec.builtin) return Status::kBuiltinName;
    if (spec.type != type) return Status::kTypeConflict;
    *index_out = existing;
    return Status::kOk;
  }
  for (const char* key : kLogKeys) {
    if (name == key) return Status::kReservedName;
  }
  const std::string alias = CamelAlias(name);
  for (const FieldSpec& f : fields_) {
    if (EqualsIgnoringAsciiCase(f.alias, alias) || EqualsIgnoringAsciiCase(f.name, alias)) return Status::kAliasClash;
  }
  if (fields_.size() >= kMaxFields) return Status::kTooManyFields;
  FieldSpec spec{std::string(name), alias, type, 0, 0, false};
  if (type == FieldType::kInteger) {
    spec.min = -kMaxSafeInteger;
    spec.max = kMaxSafeInteger;
  }
  fields_.push_back(std::move(spec));
  *index_out = static_cast<int>(fields_.size() - 1);
  return Status::kOk;
}

Status FieldRegistry::ValidateInteger(size_t index, int64_t value) const {
  if (index >= fields_.size()) return Status::kUnknownField;
  const FieldSpec& spec = fields_[index];
  if (spec.type != FieldType::kInteger) return Status::kWrongType;
  if (value < spec.min || value > spec.max) return Status::kOutOfRange;
  return Status::kOk;
}

Status FieldRegistry::SetMaxValueBytes(size_t bytes) {
  if (bytes < 1 || bytes > kMaxValueBytesLimit) return Status::kInvalidOption;
  max_value_bytes_ = bytes;
  return Status::kOk;
}

}  // namespace mellea

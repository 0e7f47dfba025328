#include "fields.h"

namespace mellea {

namespace {

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when the
// sequence is ill-formed (Unicode 15, table 3-7).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len;
  uint32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    *cp = b0 & 0x1F;
    min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    *cp = b0 & 0x0F;
    min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    *cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return len;
}

bool IsControl(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

}  // namespace

Status ValidateStringValue(std::string_view utf8, size_t max_bytes) {
  if (utf8.empty()) return Status::kEmpty;
  if (utf8.size() > max_bytes) return Status::kTooLong;
  for (size_t i = 0; i < utf8.size();) {
    uint32_t cp = 0;
    const size_t n = DecodeUtf8(utf8, i, &cp);
    if (n == 0) return Status::kInvalidUtf8;
    if (IsControl(cp)) return Status::kControlChar;
    i += n;
  }
  return Status::kOk;
}

bool IsWellFormedUtf8(std::string_view utf8) {
  for (size_t i = 0; i < utf8.size();) {
    uint32_t cp = 0;
    const size_t n = DecodeUtf8(utf8, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool IsValidFieldName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

FieldRegistry::FieldRegistry() {
  fields_.push_back({"session_id", FieldType::kString, 0, 0, true});
  fields_.push_back({"request_id", FieldType::kString, 0, 0, true});
  fields_.push_back({"model_id", FieldType::kString, 0, 0, true});
  fields_.push_back({"sampling_iteration", FieldType::kInteger, 0, 2147483647, true});
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
  if (fields_.size() >= kMaxFields) return Status::kTooManyFields;
  FieldSpec spec{std::string(name), type, 0, 0, false};
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

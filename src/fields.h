// The field registry: the four built-in fields of mellea.telemetry.context
// plus fields added with defineField, and every rule a value must pass.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace mellea {

enum class FieldType : uint8_t { kString = 0, kInteger = 1, kBoolean = 2 };

struct FieldSpec {
  std::string name;  // canonical snake_case name
  std::string alias; // camelCase alias (CamelAlias(name))
  FieldType type;
  int64_t min = 0;   // integer range, inclusive
  int64_t max = 0;
  bool builtin = false;
};

constexpr size_t kDefaultMaxValueBytes = 256;
constexpr size_t kMaxValueBytesLimit = 65536;
constexpr size_t kMaxFields = 64;
constexpr size_t kMaxFieldNameBytes = 64;  // ^[a-z][a-z0-9_]{0,63}$
// Keys the logging integrations write themselves; no field may take them.
constexpr const char* kLogKeys[] = {"level", "time", "msg", "message", "timestamp", "exception", "pid", "hostname"};
// Defined integer fields carry any integer a JS number holds exactly.
constexpr int64_t kMaxSafeInteger = 9007199254740991;  // 2^53 - 1

// Checks the rules every string value obeys: 1..max_bytes bytes, well-formed
// UTF-8 (no surrogates, no overlong forms, nothing past U+10FFFF), no
// control character (C0, DEL, C1), so a value can never split a log line or
// move a terminal cursor, and none of U+2028/U+2029 (line breaks to
// JavaScript and many log viewers) or the bidi controls U+202A-U+202E and
// U+2066-U+2069 (which make `user\u202Enimda` display reversed). When it
// refuses a character, *bad_cp (if given) names it.
Status ValidateStringValue(std::string_view utf8, size_t max_bytes, uint32_t* bad_cp = nullptr);

// U+2028, U+2029, U+202A-U+202E, U+2066-U+2069.
bool IsForbiddenFormatChar(uint32_t cp);

// session_id -> sessionId (the JS alias of a field name).
std::string CamelAlias(std::string_view name);

// Only checks UTF-8 well-formedness (used for free text such as log messages).
bool IsWellFormedUtf8(std::string_view utf8);

// ^[a-z][a-z0-9_]{0,63}$
bool IsValidFieldName(std::string_view name);

class FieldRegistry {
 public:
  FieldRegistry();

  // Index of the field with this canonical name, or -1.
  int Find(std::string_view name) const;
  size_t size() const { return fields_.size(); }
  const FieldSpec& at(size_t index) const { return fields_[index]; }

  // Adds a field; redefining with the same type is a no-op returning its
  // index. Nothing changes when it fails. Refused: a built-in name, another
  // type, a name whose alias equals an existing alias ignoring case
  // (session_i_d -> sessionID), and the keys logging writes itself
  // (kLogKeys), which would otherwise appear twice on a line.
  Status Define(std::string_view name, FieldType type, int* index_out);

  Status ValidateInteger(size_t index, int64_t value) const;

  size_t max_value_bytes() const { return max_value_bytes_; }
  Status SetMaxValueBytes(size_t bytes);

 private:
  std::vector<FieldSpec> fields_;
  size_t max_value_bytes_ = kDefaultMaxValueBytes;
};

}  // namespace mellea

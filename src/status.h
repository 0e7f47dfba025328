// Status codes shared by every function of the core. They cross the wasm
// boundary as plain integers and become named JS errors in js/core/boundary.js;
// the numbers are part of that boundary, so never renumber them
// (tests/constants.test.mjs fails when js/core/status.js disagrees).
#pragma once
#include <cstdint>

namespace mellea {

enum class Status : int32_t {
  kOk = 0,
  kUnknownField = 1,    // no field with that name
  kWrongType = 2,       // value of another type than the field's
  kEmpty = 3,           // string of zero bytes
  kTooLong = 4,         // more UTF-8 bytes than the configured limit
  kControlChar = 5,     // C0, DEL or C1 control character
  kInvalidUtf8 = 6,     // ill-formed UTF-8 (lone surrogate, overlong, ...)
  kOutOfRange = 7,      // integer outside the field's range
  kInvalidName = 8,     // defined field name does not match ^[a-z][a-z0-9_]{0,63}$
  kTypeConflict = 9,    // field defined again with another type
  kBuiltinName = 10,    // defineField with a built-in name
  kStaleHandle = 11,    // scope handle released or reused since
  kMalformed = 12,      // structurally bad input buffer
  kDuplicateField = 13, // one field given twice in one scope
  kTooManyFields = 14,  // registry full
  kInvalidOption = 15,  // configure() value out of range
  kNoMemory = 16,       // the store or an output area has no room
  kForbiddenChar = 17,  // U+2028, U+2029 or a bidi control (U+202A-U+202E, U+2066-U+2069)
  kScopeTooLarge = 18,  // the scope's values and JSON exceed kMaxScopeBytes
  kAliasClash = 19,     // defined field whose alias equals another's ignoring case
  kReservedName = 20,   // defined field named like a key logging writes itself
  kTooLarge = 21,       // input larger than the transfer area
};

constexpr int32_t to_int(Status s) { return static_cast<int32_t>(s); }

}  // namespace mellea

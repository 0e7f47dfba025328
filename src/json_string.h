// The one JSON string writer of the core. Every byte the core serializes
// (scope JSON, log records, the `,"k":v` fragments behind pino, console and
// winston, baggage-carried values once logged) goes through it, so all
// outputs agree byte for byte. The rule:
// - `"` and `\` are escaped as \" and \\;
// - \n \r \t \b \f are written short; every other C0 control, DEL, the C1
//   controls and U+2028/U+2029 are written \u00XX / \u20XX, so a line never
//   holds a raw line break or terminal control;
// - everything else is copied as raw UTF-8;
// - ill-formed UTF-8 becomes U+FFFD, one per maximal subpart (a WTF-8
//   surrogate counts as one), as TextDecoder / toWellFormed() show it.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace mellea {

// Most bytes one input byte can become (a C0 control: \u00XX).
constexpr size_t kJsonEscapeFactor = 6;

// Writes s as a JSON string literal (with its quotes) at out, which must
// have room for 2 + kJsonEscapeFactor * s.size() bytes; returns the bytes written.
size_t WriteJsonString(std::string_view s, char* out);

// Appends s as a JSON string literal to *out.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace mellea

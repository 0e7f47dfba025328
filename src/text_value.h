// The one logfmt value writer of the core, behind console's `format: 'text'`
// lines (`timestamp=… level=… message=… session_id=…`). The rule:
// - a value is written bare when it is a plain word, double-quoted when it
//   is empty or holds whitespace (JavaScript's \s set: ASCII whitespace,
//   U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000,
//   U+FEFF), `"`, `'`, `=`, `\` or a control character; so no message can
//   read as another key (`hello session_id=admin` stays inside the quotes);
// - inside quotes `"` and `\` are written \" and \\;
// - every control character is escaped, so a line never holds a raw line
//   break or terminal control: \n \r \t \b \f and \e (ESC) short, other C0
//   controls, DEL and the C1 controls as \xHH, U+2028/U+2029 as \u2028/\u2029
//   (lowercase hex);
// - everything else is copied as raw UTF-8; ill-formed UTF-8 becomes U+FFFD,
//   one per maximal subpart (src/utf8.h), as the JSON writer does.
#pragma once
#include <cstddef>
#include <string_view>

namespace mellea {

// Most bytes one input byte can become (a C0 control: \xHH).
constexpr size_t kTextEscapeFactor = 4;

// Whether s must be written double-quoted.
bool TextValueNeedsQuotes(std::string_view s);

// Writes s as the inside of a double-quoted value (escaped, no quotes) at
// out, which must have room for kTextEscapeFactor * s.size() bytes; returns
// the bytes written.
size_t WriteQuotedTextInside(std::string_view s, char* out);

// Writes s as a value, bare or quoted (room: 2 + kTextEscapeFactor * s.size()).
size_t WriteTextValue(std::string_view s, char* out);

}  // namespace mellea

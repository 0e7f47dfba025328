#include "text_value.h"

#include <cstdint>
#include <cstring>

#include "utf8.h"

namespace mellea {

namespace {

bool IsControl(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029; }

// JavaScript's \s beyond the controls (which quote anyway).
bool IsWhitespace(uint32_t cp) {
  return cp == ' ' || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

const char kHex[] = "0123456789abcdef";

}  // namespace

bool TextValueNeedsQuotes(std::string_view s) {
  if (s.empty()) return true;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned char b = p[i];
    if (b < 0x80) {
      if (b <= 0x20 || b == 0x7F || b == '"' || b == '\'' || b == '=' || b == '\\') return true;
      ++i;
      continue;
    }
    const Utf8Seq seq = NextUtf8(p + i, n - i);
    if (seq.ok && (IsControl(seq.cp) || IsWhitespace(seq.cp))) return true;
    i += seq.len;
  }
  return false;
}

size_t WriteQuotedTextInside(std::string_view s, char* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  char* w = out;
  for (size_t i = 0; i < n;) {
    const unsigned char b = p[i];
    if (b >= 0x20 && b < 0x7F) {
      if (b == '"' || b == '\\') *w++ = '\\';
      *w++ = static_cast<char>(b);
      ++i;
      continue;
    }
    uint32_t cp = b;
    size_t len = 1;
    if (b >= 0x80) {
      const Utf8Seq seq = NextUtf8(p + i, n - i);
      len = seq.len;
      if (!seq.ok) {
        std::memcpy(w, "\xEF\xBF\xBD", 3);  // U+FFFD
        w += 3;
        i += len;
        continue;
      }
      cp = seq.cp;
    }
    if (!IsControl(cp)) {
      std::memcpy(w, p + i, len);
      w += len;
      i += len;
      continue;
    }
    *w++ = '\\';
    switch (cp) {
      case '\n': *w++ = 'n'; break;
      case '\r': *w++ = 'r'; break;
      case '\t': *w++ = 't'; break;
      case '\b': *w++ = 'b'; break;
      case '\f': *w++ = 'f'; break;
      case 0x1B: *w++ = 'e'; break;
      default:
        if (cp <= 0xFF) {
          *w++ = 'x';
        } else {
          *w++ = 'u';
          *w++ = kHex[(cp >> 12) & 0xF];
          *w++ = kHex[(cp >> 8) & 0xF];
        }
        *w++ = kHex[(cp >> 4) & 0xF];
        *w++ = kHex[cp & 0xF];
    }
    i += len;
  }
  return static_cast<size_t>(w - out);
}

size_t WriteTextValue(std::string_view s, char* out) {
  if (!TextValueNeedsQuotes(s)) {
    // Bare: printable, no quotes, no controls; ill-formed bytes still become U+FFFD.
    return WriteQuotedTextInside(s, out);
  }
  out[0] = '"';
  const size_t n = WriteQuotedTextInside(s, out + 1);
  out[n + 1] = '"';
  return n + 2;
}

}  // namespace mellea

#include "json_string.h"

#include <cstring>

#include "utf8.h"

namespace mellea {

size_t WriteJsonString(std::string_view s, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  char* w = out;
  *w++ = '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t run = 0;  // start of bytes copied verbatim
  for (size_t i = PlainAsciiRun(p, n, true); i < n;) {
    const unsigned char b = p[i];
    if (b >= 0x20 && b < 0x7F && b != '"' && b != '\\') {
      i += PlainAsciiRun(p + i, n - i, true);
      continue;
    }
    const Utf8Seq seq = NextUtf8(p + i, n - i);
    const uint32_t cp = seq.cp;
    if (seq.ok && cp >= 0xA0 && cp != 0x2028 && cp != 0x2029) {
      i += seq.len;
      continue;
    }
    if (i > run) std::memcpy(w, s.data() + run, i - run);
    w += i - run;
    if (!seq.ok) {
      std::memcpy(w, "\xEF\xBF\xBD", 3);  // U+FFFD
      w += 3;
    } else if (cp == '"' || cp == '\\') {
      *w++ = '\\';
      *w++ = static_cast<char>(cp);
    } else if (cp == '\n' || cp == '\r' || cp == '\t' || cp == '\b' || cp == '\f') {
      *w++ = '\\';
      *w++ = cp == '\n' ? 'n' : cp == '\r' ? 'r' : cp == '\t' ? 't' : cp == '\b' ? 'b' : 'f';
    } else {  // other C0, DEL, C1, U+2028, U+2029
      w[0] = '\\';
      w[1] = 'u';
      w[2] = kHex[cp >> 12];
      w[3] = kHex[(cp >> 8) & 0xF];
      w[4] = kHex[(cp >> 4) & 0xF];
      w[5] = kHex[cp & 0xF];
      w += 6;
    }
    i += seq.len;
    run = i;
  }
  if (n > run) std::memcpy(w, s.data() + run, n - run);
  w += n - run;
  *w++ = '"';
  return static_cast<size_t>(w - out);
}

void AppendJsonString(std::string_view s, std::string* out) {
  // Text with nothing to escape or replace (timestamps, levels, most
  // messages and values) is appended as it is: the general path below first
  // grows the string by 6 bytes per input byte, and std::string zero-fills
  // that room. In the wasm build that fill (memset) was the largest cost of
  // a console JSON line (formatRecord: 16% of the export's time, Node 20).
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  if (PlainAsciiRun(p, s.size(), true) == s.size()) {
    out->push_back('"');
    out->append(s.data(), s.size());
    out->push_back('"');
    return;
  }
  const size_t at = out->size();
  out->resize(at + 2 + kJsonEscapeFactor * s.size());
  const size_t written = WriteJsonString(s, &(*out)[at]);
  out->resize(at + written);
}

}  // namespace mellea

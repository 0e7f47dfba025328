// The one UTF-8 decoder of the core (Unicode 15, table 3-7), used by the
// value rules, the JSON writer and the record builder.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace mellea {

struct Utf8Seq {
  size_t len;  // bytes consumed (>= 1)
  bool ok;     // a well-formed scalar value
  uint32_t cp;
};

// One UTF-8 sequence at p (n >= 1). Ill-formed input consumes one maximal
// subpart (Unicode 15, 3.9), or a whole WTF-8 surrogate (ED A0..BF 80..BF):
// JS hands us those for lone surrogates, and one U+FFFD each is what the JS
// string would show.
inline Utf8Seq NextUtf8(const unsigned char* p, size_t n) {
  const unsigned char b0 = p[0];
  if (b0 < 0x80) return {1, true, b0};
  size_t need;
  uint32_t cp;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {1, false, 0};
  }
  if (b0 == 0xED && n >= 3 && (p[1] & 0xE0) == 0xA0 && (p[2] & 0xC0) == 0x80) return {3, false, 0};
  for (size_t k = 1; k <= need; ++k) {
    if (k >= n) return {k, false, 0};
    const unsigned char b = p[k];
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return {k, false, 0};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {need + 1, true, cp};
}

// Length of the run of printable ASCII (0x20..0x7E) at the start of p[0, n),
// 8 bytes a step, then byte by byte; with `json`, '"' and '\\' end the run
// too. Values are mostly ids and names: a byte loop was most of the time the
// value rules and the JSON writer took per scope in wasm (bench/core.bench.mjs
// profile); 64-bit words are native there.
inline size_t PlainAsciiRun(const unsigned char* p, size_t n, bool json) {
  constexpr uint64_t k01 = 0x0101010101010101ULL;
  constexpr uint64_t k80 = 0x8080808080808080ULL;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    // Nonzero when some byte is >= 0x80, < 0x20, or 0x7F (w + 1 carries into bit 7).
    uint64_t odd = (w | (w - k01 * 0x20) | (w + k01)) & k80;
    if (json) {
      const uint64_t q = w ^ (k01 * '"');
      const uint64_t b = w ^ (k01 * '\\');
      odd |= ((q - k01) & ~q) | ((b - k01) & ~b);
      odd &= k80;
    }
    if (odd != 0) break;
  }
  for (; i < n; ++i) {
    const unsigned char c = p[i];
    if (c < 0x20 || c >= 0x7F || (json && (c == '"' || c == '\\'))) break;
  }
  return i;
}

// Whether p[0, n) is all printable ASCII: PlainAsciiRun(p, n, false) == n,
// with the tail checked as one 8-byte word overlapping the last step
// instead of byte by byte (a 23-byte session id: 3 words, no byte loop).
inline bool IsPlainAscii(const unsigned char* p, size_t n) {
  constexpr uint64_t k01 = 0x0101010101010101ULL;
  constexpr uint64_t k80 = 0x8080808080808080ULL;
  if (n < 8) return PlainAsciiRun(p, n, false) == n;
  uint64_t odd = 0;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    odd |= w | (w - k01 * 0x20) | (w + k01);
  }
  uint64_t w;
  std::memcpy(&w, p + n - 8, 8);
  odd |= w | (w - k01 * 0x20) | (w + k01);
  return (odd & k80) == 0;
}

}  // namespace mellea

#include "request_id.h"

#include <unistd.h>

#include <cstdint>

namespace mellea {

bool GenerateRequestIds(char* out, size_t count) {
  static const char kHex[] = "0123456789abcdef";
  // getentropy gives at most 256 bytes a call; Emscripten maps it to
  // crypto.getRandomValues (browser) or crypto.randomFillSync (Node).
  uint8_t bytes[256];
  size_t done = 0;
  while (done < count) {
    const size_t batch = (count - done) < 16 ? (count - done) : 16;
    if (getentropy(bytes, batch * 16) != 0) return false;
    for (size_t k = 0; k < batch; ++k) {
      uint8_t* b = bytes + k * 16;
      b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
      b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
      char* o = out + (done + k) * kRequestIdChars;
      for (size_t i = 0; i < 16; ++i) {
        o[2 * i] = kHex[b[i] >> 4];
        o[2 * i + 1] = kHex[b[i] & 0x0F];
      }
    }
    done += batch;
  }
  return true;
}

}  // namespace mellea

#include "request_id.h"

#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace mellea {

namespace {

// Random bytes are drawn 256 at a time (16 ids), the most getentropy gives in
// one call: one call into the host per 16 ids instead of one per id. Bytes
// handed out are wiped from the pool, never given twice, never kept.
struct EntropyPool {
  uint8_t bytes[256];
  size_t used = sizeof(bytes);
};

bool TakeRandom(uint8_t* out, size_t n) {
  static EntropyPool pool;
  if (pool.used + n > sizeof(pool.bytes)) {
    if (getentropy(pool.bytes, sizeof(pool.bytes)) != 0) return false;
    pool.used = 0;
  }
  std::memcpy(out, pool.bytes + pool.used, n);
  std::memset(pool.bytes + pool.used, 0, n);
  pool.used += n;
  return true;
}

}  // namespace

bool GenerateRequestIds(char* out, size_t count) {
  static const char kHex[] = "0123456789abcdef";
  for (size_t k = 0; k < count; ++k) {
    uint8_t b[16];
    if (!TakeRandom(b, sizeof(b))) return false;
    b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
    b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
    char* o = out + k * kRequestIdChars;
    for (size_t i = 0; i < 16; ++i) {
      o[2 * i] = kHex[b[i] >> 4];
      o[2 * i + 1] = kHex[b[i] & 0x0F];
    }
    std::memset(b, 0, sizeof(b));
  }
  return true;
}

RequestIdPool::RequestIdPool() {
  // The JSON around the ids never changes: written once.
  block_[0] = '[';
  for (size_t i = 0; i < kIds; ++i) {
    block_[Offset(i) - 1] = '"';
    block_[Offset(i) + kRequestIdChars] = '"';
    block_[Offset(i) + kRequestIdChars + 1] = i + 1 < kIds ? ',' : ']';
  }
}

const char* RequestIdPool::Take(uint32_t* index, uint32_t* generation) {
  if (next_ == kIds && Refill() == 0) return nullptr;
  *index = next_;
  *generation = generation_;
  return block_ + Offset(next_++);
}

uint32_t RequestIdPool::Refill() {
  for (size_t i = 0; i < kIds; ++i) {
    if (!GenerateRequestIds(block_ + Offset(i), 1)) return 0;
  }
  next_ = 0;
  if (++generation_ == 0) generation_ = 1;  // 0 says "no block"
  return generation_;
}

const char* RequestIdPool::At(uint32_t index, uint32_t generation) const {
  if (generation == 0 || generation != generation_ || index >= kIds) return nullptr;
  return block_ + Offset(index);
}

}  // namespace mellea

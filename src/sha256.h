// SHA-256 (FIPS 180-4), self-contained so the core needs no crypto library
// in wasm. Used to redact field values in log records; not for secrets.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mellea {

class Sha256 {
 public:
  Sha256();
  void Update(const uint8_t* data, size_t len);
  void Update(std::string_view s) { Update(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
  std::array<uint8_t, 32> Final();  // the object is spent afterwards

 private:
  void Block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

std::array<uint8_t, 32> Sha256Digest(std::string_view data);
// Lowercase hex of the first hex_chars / 2 digest bytes (64 = the whole digest).
std::string Sha256Hex(std::string_view data, size_t hex_chars = 64);

}  // namespace mellea

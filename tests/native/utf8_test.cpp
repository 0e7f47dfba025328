// PlainAsciiRun reads 8 bytes a step: it must end each run exactly where a
// byte loop would, whatever the byte and wherever it sits in the word.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "utf8.h"

namespace {

size_t RunByBytes(const unsigned char* p, size_t n, bool json) {
  size_t i = 0;
  while (i < n && p[i] >= 0x20 && p[i] < 0x7F && !(json && (p[i] == '"' || p[i] == '\\'))) ++i;
  return i;
}

TEST(PlainAsciiRun, EndsWhereAByteLoopEndsForEveryByteValueAndPosition) {
  for (int json = 0; json < 2; ++json) {
    for (size_t n = 0; n <= 24; ++n) {
      for (size_t at = 0; at < n; ++at) {
        for (int b = 0; b < 256; ++b) {
          std::vector<unsigned char> buf(n, 'a');
          buf[at] = static_cast<unsigned char>(b);
          ASSERT_EQ(mellea::PlainAsciiRun(buf.data(), n, json), RunByBytes(buf.data(), n, json))
              << "n=" << n << " at=" << at << " byte=" << b << " json=" << json;
        }
      }
      std::vector<unsigned char> plain(n, '~');
      EXPECT_EQ(mellea::PlainAsciiRun(plain.data(), n, json), n);
    }
  }
}

TEST(PlainAsciiRun, AgreesWithAByteLoopOnRandomBytes) {
  std::mt19937 rng(42);
  for (int k = 0; k < 200000; ++k) {
    const size_t n = rng() % 40;
    std::vector<unsigned char> buf(n);
    // Mostly printable, some of every kind of byte.
    for (auto& c : buf) c = static_cast<unsigned char>(rng() % 8 == 0 ? rng() % 256 : 0x20 + rng() % 0x5F);
    const bool json = k % 2 == 0;
    ASSERT_EQ(mellea::PlainAsciiRun(buf.data(), n, json), RunByBytes(buf.data(), n, json));
  }
}

// IsPlainAscii checks the tail as a word overlapping the last step: every
// bad byte at every position of every length up to 40 must still be seen,
// also next to bytes whose borrow or carry could hide it.
TEST(IsPlainAscii, AgreesWithAByteLoopForEveryByteValueAndPosition) {
  for (size_t n = 0; n <= 40; ++n) {
    for (size_t at = 0; at < n; ++at) {
      for (int b = 0; b < 256; ++b) {
        for (unsigned char fill : {static_cast<unsigned char>('a'), static_cast<unsigned char>(' '), static_cast<unsigned char>('~')}) {
          std::vector<unsigned char> buf(n, fill);
          buf[at] = static_cast<unsigned char>(b);
          ASSERT_EQ(mellea::IsPlainAscii(buf.data(), n), RunByBytes(buf.data(), n, false) == n)
              << "n=" << n << " at=" << at << " byte=" << b << " fill=" << int(fill);
        }
      }
    }
    std::vector<unsigned char> plain(n, '~');
    EXPECT_TRUE(mellea::IsPlainAscii(plain.data(), n));
  }
  std::mt19937 rng(7);
  for (int k = 0; k < 200000; ++k) {
    const size_t n = rng() % 40;
    std::vector<unsigned char> buf(n);
    for (auto& c : buf) c = static_cast<unsigned char>(rng() % 16 == 0 ? rng() % 256 : 0x20 + rng() % 0x5F);
    ASSERT_EQ(mellea::IsPlainAscii(buf.data(), n), RunByBytes(buf.data(), n, false) == n);
  }
}

}  // namespace

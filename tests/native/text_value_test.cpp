#include "text_value.h"

#include <gtest/gtest.h>

#include <string>

namespace {

std::string Value(const std::string& s) {
  std::string out(2 + mellea::kTextEscapeFactor * s.size(), '\0');
  out.resize(mellea::WriteTextValue(s, out.data()));
  return out;
}

}  // namespace

TEST(TextValue, PlainWordsAreBare) {
  EXPECT_EQ(Value("s-1"), "s-1");
  EXPECT_EQ(Value("gr\xC3\xA9nite"), "gr\xC3\xA9nite");
  EXPECT_EQ(Value("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(Value("a,b;c:d/e"), "a,b;c:d/e");
}

TEST(TextValue, WhatCouldReadAsAnotherKeyIsQuoted) {
  EXPECT_EQ(Value(""), "\"\"");
  EXPECT_EQ(Value("hello session_id=admin"), "\"hello session_id=admin\"");
  EXPECT_EQ(Value("="), "\"=\"");
  EXPECT_EQ(Value("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(Value("x\\"), "\"x\\\\\"");
  EXPECT_EQ(Value("it's"), "\"it's\"");
  // JavaScript's \s beyond ASCII: no-break space, ideographic space, BOM.
  EXPECT_EQ(Value("a\xC2\xA0" "b"), "\"a\xC2\xA0" "b\"");
  EXPECT_EQ(Value("a\xE3\x80\x80" "b"), "\"a\xE3\x80\x80" "b\"");
  EXPECT_EQ(Value("\xEF\xBB\xBF" "x"), "\"\xEF\xBB\xBF" "x\"");
  EXPECT_EQ(Value("a\xE2\x80\x8A" "b"), "\"a\xE2\x80\x8A" "b\"");
  EXPECT_EQ(Value("a\xE2\x80\x8B" "b"), "a\xE2\x80\x8B" "b");  // U+200B is not \s
}

TEST(TextValue, EveryControlIsEscaped) {
  EXPECT_EQ(Value("a\r\nb"), "\"a\\r\\nb\"");
  EXPECT_EQ(Value("\t\b\f"), "\"\\t\\b\\f\"");
  EXPECT_EQ(Value("\x1B[2J"), "\"\\e[2J\"");
  EXPECT_EQ(Value(std::string("nul\0x", 5)), "\"nul\\x00x\"");
  EXPECT_EQ(Value("\x7F"), "\"\\x7f\"");
  EXPECT_EQ(Value("\xC2\x9B" "31m"), "\"\\x9b31m\"");
  EXPECT_EQ(Value("a\xE2\x80\xA8" "b\xE2\x80\xA9"), "\"a\\u2028b\\u2029\"");
}

TEST(TextValue, IllFormedUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(Value("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(Value("\xED\xA0\x80"), "\xEF\xBF\xBD");  // a WTF-8 surrogate: one U+FFFD
  EXPECT_EQ(Value("x \xE2\x82"), "\"x \xEF\xBF\xBD\"");
}

TEST(TextValue, EveryByteStaysWithinTheFactor) {
  for (int b = 0; b < 256; ++b) {
    const std::string s(64, static_cast<char>(b));
    std::string out(2 + mellea::kTextEscapeFactor * s.size() + 16, '\x55');
    const size_t n = mellea::WriteTextValue(s, out.data());
    EXPECT_LE(n, 2 + mellea::kTextEscapeFactor * s.size()) << b;
    for (size_t i = n; i < out.size(); ++i) ASSERT_EQ(out[i], '\x55') << b;
  }
}

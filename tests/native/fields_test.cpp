#include "fields.h"

#include <gtest/gtest.h>

#include <string>

using mellea::FieldRegistry;
using mellea::FieldType;
using mellea::Status;
using mellea::ValidateStringValue;

TEST(ValidateStringValue, AcceptsPlainAndMultibyteText) {
  EXPECT_EQ(ValidateStringValue("s-1", 256), Status::kOk);
  EXPECT_EQ(ValidateStringValue("caf\xC3\xA9 \xF0\x9F\x98\x80", 256), Status::kOk);
}

TEST(ValidateStringValue, CountsBytesNotCharacters) {
  std::string e128, e129;
  for (int i = 0; i < 128; ++i) e128 += "\xC3\xA9";
  e129 = e128 + "\xC3\xA9";
  EXPECT_EQ(ValidateStringValue(e128, 256), Status::kOk);
  EXPECT_EQ(ValidateStringValue(e129, 256), Status::kTooLong);
  EXPECT_EQ(ValidateStringValue(std::string(256, 'a'), 256), Status::kOk);
  EXPECT_EQ(ValidateStringValue(std::string(257, 'a'), 256), Status::kTooLong);
}

TEST(ValidateStringValue, RejectsEmpty) { EXPECT_EQ(ValidateStringValue("", 256), Status::kEmpty); }

TEST(ValidateStringValue, RejectsEveryControlCharacter) {
  for (int c = 0; c < 0x20; ++c) {
    std::string s = "a";
    s += static_cast<char>(c);
    EXPECT_EQ(ValidateStringValue(s, 256), Status::kControlChar) << c;
  }
  EXPECT_EQ(ValidateStringValue("a\x7F", 256), Status::kControlChar);
  EXPECT_EQ(ValidateStringValue("a\xC2\x80", 256), Status::kControlChar);  // U+0080
  EXPECT_EQ(ValidateStringValue("a\xC2\x9F", 256), Status::kControlChar);  // U+009F
  EXPECT_EQ(ValidateStringValue("a\xC2\xA0", 256), Status::kOk);           // U+00A0
  EXPECT_EQ(ValidateStringValue("\x1B[31mred", 256), Status::kControlChar);
}

TEST(ValidateStringValue, RejectsIllFormedUtf8) {
  EXPECT_EQ(ValidateStringValue("a\xED\xA0\x80", 256), Status::kInvalidUtf8);  // lone surrogate
  EXPECT_EQ(ValidateStringValue("\xC0\xAF", 256), Status::kInvalidUtf8);      // overlong
  EXPECT_EQ(ValidateStringValue("\xE0\x80\xAF", 256), Status::kInvalidUtf8);  // overlong
  EXPECT_EQ(ValidateStringValue("\xF4\x90\x80\x80", 256), Status::kInvalidUtf8);  // > U+10FFFF
  EXPECT_EQ(ValidateStringValue("\xC3", 256), Status::kInvalidUtf8);          // truncated
  EXPECT_EQ(ValidateStringValue("\x80", 256), Status::kInvalidUtf8);          // stray continuation
  EXPECT_EQ(ValidateStringValue("\xFF", 256), Status::kInvalidUtf8);
}

TEST(FieldRegistry, HasTheFourBuiltinsInOrder) {
  FieldRegistry r;
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r.Find("session_id"), 0);
  EXPECT_EQ(r.Find("request_id"), 1);
  EXPECT_EQ(r.Find("model_id"), 2);
  EXPECT_EQ(r.Find("sampling_iteration"), 3);
  EXPECT_EQ(r.Find("sessionId"), -1);
}

TEST(FieldRegistry, SamplingIterationRange) {
  FieldRegistry r;
  EXPECT_EQ(r.ValidateInteger(3, 0), Status::kOk);
  EXPECT_EQ(r.ValidateInteger(3, 2147483647), Status::kOk);
  EXPECT_EQ(r.ValidateInteger(3, 2147483648LL), Status::kOutOfRange);
  EXPECT_EQ(r.ValidateInteger(3, -1), Status::kOutOfRange);
  EXPECT_EQ(r.ValidateInteger(0, 1), Status::kWrongType);
}

TEST(FieldRegistry, DefineRules) {
  FieldRegistry r;
  int index = -1;
  EXPECT_EQ(r.Define("tenant", FieldType::kString, &index), Status::kOk);
  EXPECT_EQ(index, 4);
  EXPECT_EQ(r.Define("tenant", FieldType::kString, &index), Status::kOk);  // no-op
  EXPECT_EQ(index, 4);
  EXPECT_EQ(r.size(), 5u);
  EXPECT_EQ(r.Define("tenant", FieldType::kInteger, &index), Status::kTypeConflict);
  EXPECT_EQ(r.Define("session_id", FieldType::kString, &index), Status::kBuiltinName);
  EXPECT_EQ(r.Define("Tenant", FieldType::kString, &index), Status::kInvalidName);
  EXPECT_EQ(r.Define("1a", FieldType::kString, &index), Status::kInvalidName);
  EXPECT_EQ(r.Define("", FieldType::kString, &index), Status::kInvalidName);
  EXPECT_EQ(r.Define(std::string(65, 'a'), FieldType::kString, &index), Status::kInvalidName);
  EXPECT_EQ(r.Define(std::string(64, 'a'), FieldType::kBoolean, &index), Status::kOk);
  EXPECT_EQ(r.size(), 6u);
}

TEST(FieldRegistry, MaxValueBytesIsConfigurable) {
  FieldRegistry r;
  EXPECT_EQ(r.SetMaxValueBytes(0), Status::kInvalidOption);
  EXPECT_EQ(r.SetMaxValueBytes(8), Status::kOk);
  EXPECT_EQ(r.max_value_bytes(), 8u);
}

TEST(FieldRegistry, RefusesAliasesEqualIgnoringCaseAndLogKeys) {
  FieldRegistry r;
  int index = -1;
  EXPECT_EQ(r.Define("session_i_d", FieldType::kString, &index), Status::kAliasClash);  // sessionID
  EXPECT_EQ(r.Define("sessionid", FieldType::kString, &index), Status::kAliasClash);
  EXPECT_EQ(r.Define("user_id", FieldType::kString, &index), Status::kOk);
  EXPECT_EQ(r.Define("user_i_d", FieldType::kString, &index), Status::kAliasClash);
  for (const char* key : {"level", "time", "msg", "message", "timestamp", "exception", "pid", "hostname"}) {
    EXPECT_EQ(r.Define(key, FieldType::kString, &index), Status::kReservedName) << key;
  }
  EXPECT_EQ(r.size(), 5u);
  EXPECT_EQ(mellea::CamelAlias("sampling_iteration"), "samplingIteration");
  EXPECT_EQ(mellea::CamelAlias("a_1b"), "a1b");
}

TEST(ValidateStringValue, RefusesLineSeparatorsAndBidiControls) {
  uint32_t cp = 0;
  EXPECT_EQ(ValidateStringValue("a\xE2\x80\xA8" "b", 256, &cp), Status::kForbiddenChar);
  EXPECT_EQ(cp, 0x2028u);
  EXPECT_EQ(ValidateStringValue("user\xE2\x80\xAEnimda", 256, &cp), Status::kForbiddenChar);
  EXPECT_EQ(cp, 0x202Eu);
  EXPECT_EQ(ValidateStringValue("\xE2\x81\xA8", 256, &cp), Status::kForbiddenChar);
  EXPECT_EQ(cp, 0x2068u);
  EXPECT_EQ(ValidateStringValue("a\n", 256, &cp), Status::kControlChar);
  EXPECT_EQ(cp, 0x0Au);
  EXPECT_EQ(ValidateStringValue("\xE2\x80\x8B", 256), Status::kOk);  // U+200B is not refused
}

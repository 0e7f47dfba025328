#include "baggage.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace mellea {
namespace {

constexpr size_t kSession = 0, kRequest = 1, kModel = 2, kIteration = 3;

ParsedBaggage Parse(const std::string& header) { return ParseBaggage(header); }

// Fields extracted from a header; *dropped gets parse drops plus rejections.
std::vector<FieldValue> Extract(const FieldRegistry& reg, const std::string& header,
                                size_t* dropped = nullptr) {
  const ParsedBaggage parsed = ParseBaggage(header);
  std::vector<FieldValue> values;
  const size_t rejected = ExtractMelleaFields(reg, parsed.members, &values);
  if (dropped != nullptr) *dropped = parsed.dropped + rejected;
  return values;
}

FieldValue Str(const std::string& s) {
  FieldValue v;
  v.set = true;
  v.type = FieldType::kString;
  v.text = s;
  return v;
}

FieldValue Int(int64_t i, FieldType type = FieldType::kInteger) {
  FieldValue v;
  v.set = true;
  v.type = type;
  v.integer = i;
  return v;
}

bool Same(const std::vector<FieldValue>& a, const std::vector<FieldValue>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].set != b[i].set) return false;
    if (!a[i].set) continue;
    if (a[i].type != b[i].type || a[i].text != b[i].text || a[i].integer != b[i].integer) return false;
  }
  return true;
}

size_t CountMembers(const std::string& header) {
  if (header.empty()) return 0;
  size_t n = 1;
  for (char c : header) n += c == ',';
  return n;
}

TEST(BaggageParse, ValidMembers) {
  const ParsedBaggage p = Parse("mellea.session_id=abc,userId=alice,empty=");
  ASSERT_EQ(p.members.size(), 3u);
  EXPECT_EQ(p.dropped, 0u);
  EXPECT_EQ(p.members[0].key, "mellea.session_id");
  EXPECT_EQ(p.members[0].value, "abc");
  EXPECT_EQ(p.members[1].key, "userId");
  EXPECT_EQ(p.members[2].value, "");
}

TEST(BaggageParse, OwsSpacesAndTabs) {
  const ParsedBaggage p = Parse(" \t k1 \t= \tv1\t ,\tk2=v2 ;\tp = x \t");
  ASSERT_EQ(p.members.size(), 2u);
  EXPECT_EQ(p.members[0].key, "k1");
  EXPECT_EQ(p.members[0].value, "v1");
  EXPECT_EQ(p.members[1].value, "v2");
  EXPECT_EQ(p.members[1].properties, "p=x");
}

TEST(BaggageParse, PropertiesKeptNormalized) {
  const ParsedBaggage p = Parse("k=v;p1; p2 = a%20b ;,k2=v2;");
  ASSERT_EQ(p.members.size(), 2u);
  EXPECT_EQ(p.members[0].properties, "p1;p2=a%20b");
  EXPECT_EQ(p.members[1].properties, "");
  // A malformed property drops its member only.
  const ParsedBaggage bad = Parse("a=1;p q,b=2;=x,c=3;p=\"q\",d=4");
  ASSERT_EQ(bad.members.size(), 1u);
  EXPECT_EQ(bad.members[0].key, "d");
  EXPECT_EQ(bad.dropped, 3u);
}

TEST(BaggageParse, PercentDecodesUtf8) {
  const ParsedBaggage p = Parse("k=caf%C3%A9%20%F0%9F%98%80%2C%3B%3D%25,plus=a+b");
  ASSERT_EQ(p.members.size(), 2u);
  EXPECT_EQ(p.members[0].value, "caf\xC3\xA9 \xF0\x9F\x98\x80,;=%");
  EXPECT_EQ(p.members[0].raw_value, "caf%C3%A9%20%F0%9F%98%80%2C%3B%3D%25");
  EXPECT_EQ(p.members[1].value, "a+b");  // '+' is not a space in baggage
}

TEST(BaggageParse, BadEscapesAndOctetsDropOnlyTheirMember) {
  const char* bad[] = {"k=%3G",   "k=100%",  "k=%F",     "k=%",      "k=%FF",  "k=%C3",
                       "k=%ED%A0%80", "k=a b", "k=\"v\"", "k=a\\b", "k=\xC3\xA9", "k=a\rb",
                       "k",       "=v",      " = v",     "k y=v",    "k@=v",   "(k)=v"};
  for (const char* b : bad) {
    const ParsedBaggage p = Parse(std::string("good=1,") + b + ",also=2");
    ASSERT_EQ(p.members.size(), 2u) << b;
    EXPECT_EQ(p.members[0].key, "good") << b;
    EXPECT_EQ(p.members[1].key, "also") << b;
    EXPECT_EQ(p.dropped, 1u) << b;
  }
}

TEST(BaggageParse, EmptyEntriesAreSkipped) {
  EXPECT_TRUE(Parse("").members.empty());
  const ParsedBaggage p = Parse(",,, \t ,k=v,,");
  ASSERT_EQ(p.members.size(), 1u);
  EXPECT_EQ(p.dropped, 0u);
}

TEST(BaggageParse, DuplicateKeysLastWinsAtFirstPosition) {
  const ParsedBaggage p = Parse("a=1,b=2,a=3,a=%ZZ");
  ASSERT_EQ(p.members.size(), 2u);
  EXPECT_EQ(p.members[0].key, "a");
  EXPECT_EQ(p.members[0].value, "3");  // the malformed last one does not count
  EXPECT_EQ(p.dropped, 2u);
}

TEST(BaggageParse, AtMost64Members) {
  std::string h;
  for (int i = 0; i < 200; ++i) h += (i ? "," : "") + ("k" + std::to_string(i)) + "=v";
  const ParsedBaggage p = Parse(h);
  ASSERT_EQ(p.members.size(), 64u);
  EXPECT_EQ(p.members[63].key, "k63");
  EXPECT_EQ(p.dropped, 136u);
}

TEST(BaggageParse, OnlyMembersEndingWithin8192Bytes) {
  const std::string big(12 * 1024, 'x');
  const ParsedBaggage one = Parse("k=" + big);
  EXPECT_TRUE(one.members.empty());
  EXPECT_EQ(one.dropped, 1u);

  const ParsedBaggage p = Parse("a=1,mellea.session_id=s,big=" + big + ",z=2");
  ASSERT_EQ(p.members.size(), 2u);
  EXPECT_EQ(p.dropped, 2u);

  // A member ending exactly at byte 8192 is kept; one ending past it is not.
  const ParsedBaggage exact = Parse("a=" + std::string(8190, 'y') + ",c=" + big);
  ASSERT_EQ(exact.members.size(), 1u);
  EXPECT_EQ(exact.members[0].raw_value.size(), 8190u);
  EXPECT_EQ(exact.dropped, 1u);
  const ParsedBaggage over = Parse("a=" + std::string(8191, 'y') + ",c=1");
  EXPECT_TRUE(over.members.empty());
  EXPECT_EQ(over.dropped, 2u);
}

TEST(BaggageExtractFields, BuiltinsAndRules) {
  FieldRegistry reg;
  size_t dropped = 0;
  const auto v = Extract(reg,
                         "mellea.session_id=s%201,mellea.sampling_iteration=42,other=x,"
                         "mellea.nope=1,Mellea.model_id=m",
                         &dropped);
  EXPECT_EQ(v[kSession].text, "s 1");
  EXPECT_EQ(v[kIteration].integer, 42);
  EXPECT_FALSE(v[kRequest].set);
  EXPECT_FALSE(v[kModel].set);  // keys are case-sensitive; not ours
  EXPECT_EQ(dropped, 1u);        // mellea.nope
}

TEST(BaggageExtractFields, HostileValuesNeverReachFields) {
  FieldRegistry reg;
  const char* hostile[] = {"%0D%0A", "a%0D%0Ab", "%1B[31m", "%7F", "%C2%85", "%00", "",
                           "%E2%80%A8", "%E2%80%AE", "a%E2%81%A6b"};  // U+2028, bidi controls: refused too
  for (const char* h : hostile) {
    size_t dropped = 0;
    const auto v = Extract(reg, std::string("mellea.request_id=") + h, &dropped);
    EXPECT_FALSE(v[kRequest].set) << h;
    EXPECT_EQ(dropped, 1u) << h;
  }
  const auto too_long = Extract(reg, "mellea.model_id=" + std::string(257, 'm'));
  EXPECT_FALSE(too_long[kModel].set);
  ASSERT_EQ(reg.SetMaxValueBytes(4), Status::kOk);
  EXPECT_FALSE(Extract(reg, "mellea.model_id=abcde")[kModel].set);
  EXPECT_TRUE(Extract(reg, "mellea.model_id=abcd")[kModel].set);
}

TEST(BaggageExtractFields, IntegersAndBooleans) {
  FieldRegistry reg;
  int flag = -1, count = -1;
  ASSERT_EQ(reg.Define("flag", FieldType::kBoolean, &flag), Status::kOk);
  ASSERT_EQ(reg.Define("count", FieldType::kInteger, &count), Status::kOk);
  const char* bad_iter[] = {"-1", "2147483648", "+1", "1.0", "0x10", "1e3", "%201", "99999999999999999999999"};
  for (const char* b : bad_iter) {
    EXPECT_FALSE(Extract(reg, std::string("mellea.sampling_iteration=") + b)[kIteration].set) << b;
  }
  EXPECT_EQ(Extract(reg, "mellea.sampling_iteration=2147483647")[kIteration].integer, 2147483647);
  EXPECT_EQ(Extract(reg, "mellea.count=-9007199254740991")[count].integer, -9007199254740991);
  EXPECT_FALSE(Extract(reg, "mellea.count=9007199254740992")[count].set);
  EXPECT_EQ(Extract(reg, "mellea.flag=true")[flag].integer, 1);
  const auto f = Extract(reg, "mellea.flag=false");
  EXPECT_TRUE(f[flag].set);
  EXPECT_EQ(f[flag].integer, 0);
  EXPECT_FALSE(Extract(reg, "mellea.flag=TRUE")[flag].set);
  EXPECT_FALSE(Extract(reg, "mellea.flag=1")[flag].set);
}

TEST(BaggageSerialize, RoundTripsAwkwardValues) {
  FieldRegistry reg;
  int flag = -1;
  ASSERT_EQ(reg.Define("flag", FieldType::kBoolean, &flag), Status::kOk);
  const std::string texts[] = {"with space", "a,b;c=d", "100%", "%41", "\"q\" \\ +",
                               "caf\xC3\xA9", "\xF0\x9F\x98\x80 \xE4\xB8\xAD", "~!#$&'*"};
  for (const std::string& t : texts) {
    std::vector<FieldValue> values(reg.size());
    values[kSession] = Str(t);
    values[kIteration] = Int(7);
    values[static_cast<size_t>(flag)] = Int(0, FieldType::kBoolean);
    const std::string header = SerializeBaggage(reg, values, "");
    for (char c : header) {
      ASSERT_TRUE(c > 0x20 && c < 0x7F && c != ' ' && c != '"' && c != '\\' && c != ';') << header;
    }
    size_t dropped = 1;
    EXPECT_TRUE(Same(Extract(reg, header, &dropped), values)) << header;
    EXPECT_EQ(dropped, 0u);
  }
}

TEST(BaggageSerialize, MergesWithExistingMembers) {
  FieldRegistry reg;
  std::vector<FieldValue> values(reg.size());
  values[kSession] = Str("new");
  const std::string out = SerializeBaggage(
      reg, values, "other=1;p ;q=2, mellea.session_id=old,mellea.model_id=m, bad=%ZZ");
  EXPECT_EQ(out, "mellea.session_id=new,other=1;p;q=2,mellea.model_id=m");
  EXPECT_EQ(SerializeBaggage(reg, std::vector<FieldValue>(reg.size()), ""), "");
  // Values recorded before a field was defined are shorter than the registry.
  int extra = -1;
  ASSERT_EQ(reg.Define("extra", FieldType::kString, &extra), Status::kOk);
  EXPECT_EQ(SerializeBaggage(reg, values, "mellea.extra=x"), "mellea.session_id=new,mellea.extra=x");
}

TEST(BaggageSerialize, WriteLimits) {
  FieldRegistry reg;
  std::vector<FieldValue> values(reg.size());
  values[kSession] = Str("s");
  values[kIteration] = Int(1);
  std::string existing;
  for (int i = 0; i < 80; ++i) existing += "k" + std::to_string(i) + "=v,";
  const std::string out = SerializeBaggage(reg, values, existing);
  EXPECT_EQ(CountMembers(out), 64u);
  EXPECT_EQ(out.rfind("mellea.session_id=s,mellea.sampling_iteration=1,k0=v", 0), 0u);

  // Bytes: whole members only, ours first, a member too big is skipped.
  values[kModel] = Str(std::string(1000, 'x') + std::string(1000, ' '));  // 4000 bytes encoded
  std::string emoji;
  for (int i = 0; i < 1000; ++i) emoji += "\xF0\x9F\x98\x80";  // 12 KiB encoded
  values[kRequest] = Str(emoji);
  std::string fill;
  for (int i = 0; i < 10; ++i) fill += "f" + std::to_string(i) + "=" + std::string(1000, 'z') + ",";
  const std::string big = SerializeBaggage(reg, values, "mellea.request_id=stale," + fill);
  EXPECT_LE(big.size(), kBaggageMaxBytes);
  EXPECT_EQ(big.find("mellea.request_id"), std::string::npos);  // ours too big, stale not sent
  EXPECT_NE(big.find("mellea.model_id="), std::string::npos);
  const ParsedBaggage back = Parse(big);
  EXPECT_EQ(back.dropped, 0u);
  EXPECT_EQ(back.members.size(), CountMembers(big));
}

class CoreBaggage : public ::testing::Test {
 protected:
  size_t Put(const std::string& s) {
    uint8_t* p = core.Reserve(s.size() + 1);
    std::memcpy(p, s.data(), s.size());
    return s.size();
  }
  static std::string Tlv(size_t index, FieldType type, const std::string& payload) {
    std::string t{static_cast<char>(index), static_cast<char>(type),
                  static_cast<char>(payload.size()), 0, 0, 0};
    return t + payload;
  }
  std::string Out(size_t len) { return std::string(core.output(), len); }
  Core core;
};

TEST_F(CoreBaggage, ExtractWritesScopeEncodingThenDropCount) {
  size_t len = 0;
  ASSERT_EQ(BaggageExtract(core, Put("mellea.sampling_iteration=3,x=%ZZ,mellea.session_id=s%C3%A9"), &len),
            Status::kOk);
  EXPECT_EQ(Out(len), Tlv(kSession, FieldType::kString, "s\xC3\xA9") +
                          Tlv(kIteration, FieldType::kInteger, "3") + std::string("\x01\0\0\0", 4));
  // The TLV part goes straight into scope creation.
  const std::string tlv(core.output(), len - 4);
  Put(tlv);
  uint64_t handle = 0;
  int bad = 0;
  ASSERT_EQ(core.CreateScope(len - 4, &handle, &bad), Status::kOk);
  ASSERT_EQ(BaggageInject(core, handle, Put("a=1, mellea.session_id=old"), &len), Status::kOk);
  EXPECT_EQ(Out(len), "mellea.session_id=s%C3%A9,mellea.sampling_iteration=3,a=1");
  ASSERT_EQ(BaggageInject(core, handle, 0, &len), Status::kOk);
  EXPECT_EQ(Out(len), "mellea.session_id=s%C3%A9,mellea.sampling_iteration=3");
}

TEST_F(CoreBaggage, ExtractEmptyAndBadLengths) {
  size_t len = 99;
  ASSERT_EQ(BaggageExtract(core, 0, &len), Status::kOk);
  EXPECT_EQ(Out(len), std::string(4, '\0'));
  EXPECT_EQ(BaggageExtract(core, core.io_capacity() + 1, &len), Status::kMalformed);
  EXPECT_EQ(BaggageInject(core, 0, 0, &len), Status::kStaleHandle);
  uint64_t handle = 0;
  int bad = 0;
  ASSERT_EQ(core.CreateScope(0, &handle, &bad), Status::kOk);
  EXPECT_EQ(BaggageInject(core, handle, core.io_capacity() + 1, &len), Status::kMalformed);
  ASSERT_EQ(core.ReleaseScope(handle), Status::kOk);
  EXPECT_EQ(BaggageInject(core, handle, 0, &len), Status::kStaleHandle);
}

}  // namespace
}  // namespace mellea

#include "record.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../../fuzz/json_keys.h"

#include "core.h"
#include "sha256.h"

namespace mellea {
namespace {

using Json = nlohmann::ordered_json;

using KeySax = mellea_test::KeySax;

std::vector<std::string> Keys(const std::string& line) {
  KeySax sax;
  EXPECT_TRUE(Json::sax_parse(line, &sax)) << line;
  return sax.keys;
}

Json Parse(const std::string& line) {
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  Json j = Json::parse(line, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << line;
  EXPECT_TRUE(j.is_object());
  return j;
}

std::string Str(const Json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "<missing>";
  return *it->get_ptr<const Json::string_t*>();
}

void AddEntry(std::vector<uint8_t>* buf, int field, FieldType type, const std::string& payload) {
  buf->push_back(static_cast<uint8_t>(field));
  buf->push_back(static_cast<uint8_t>(type));
  const uint32_t n = static_cast<uint32_t>(payload.size());
  for (int k = 0; k < 4; ++k) buf->push_back(static_cast<uint8_t>(n >> (8 * k)));
  buf->insert(buf->end(), payload.begin(), payload.end());
}

std::vector<uint8_t> Encode(const RecordInput& in) {
  const std::string_view parts[6] = {in.timestamp, in.level, in.message, in.exception, in.extra, in.redaction};
  std::vector<uint8_t> buf;
  for (const auto& p : parts) {
    for (int k = 0; k < 4; ++k) buf.push_back(static_cast<uint8_t>(p.size() >> (8 * k)));
  }
  for (const auto& p : parts) buf.insert(buf.end(), p.begin(), p.end());
  return buf;
}

class RecordTest : public ::testing::Test {
 protected:
  uint64_t MakeScope(const std::vector<uint8_t>& encoded) {
    uint8_t* io = core_.Reserve(encoded.size() + 1);
    EXPECT_NE(io, nullptr);
    if (!encoded.empty()) std::memcpy(io, encoded.data(), encoded.size());
    uint64_t handle = 0;
    int bad = -1;
    EXPECT_EQ(core_.CreateScope(encoded.size(), &handle, &bad), Status::kOk);
    return handle;
  }
  uint64_t BuiltinScope() {
    std::vector<uint8_t> e;
    AddEntry(&e, 0, FieldType::kString, "sess-1");
    AddEntry(&e, 1, FieldType::kString, "req-1");
    AddEntry(&e, 2, FieldType::kString, "granite");
    AddEntry(&e, 3, FieldType::kInteger, "3");
    return MakeScope(e);
  }
  std::string Line(uint64_t handle, const RecordInput& in, Status expect = Status::kOk) {
    const std::vector<uint8_t> encoded = Encode(in);
    uint8_t* io = core_.Reserve(encoded.size());
    EXPECT_NE(io, nullptr);
    std::memcpy(io, encoded.data(), encoded.size());
    size_t len = 0;
    EXPECT_EQ(FormatRecordIo(core_, handle, encoded.size(), &len), expect);
    if (expect != Status::kOk) return std::string();
    return std::string(core_.output(), len);
  }
  static RecordInput Basic(std::string_view message) {
    RecordInput in;
    in.timestamp = "2025-01-02T03:04:05.678Z";
    in.level = "INFO";
    in.message = message;
    return in;
  }
  Core core_;
};

TEST_F(RecordTest, ShapeWithoutScope) {
  EXPECT_EQ(Line(0, Basic("hello")),
            R"({"timestamp":"2025-01-02T03:04:05.678Z","level":"INFO","message":"hello"})");
}

TEST_F(RecordTest, KeyOrderScopeExceptionExtra) {
  RecordInput in = Basic("boom");
  in.exception = "Error: boom\n    at f (a.js:1:2)";
  in.extra = R"({"user":"u1","attempt":2,"nested":{"z":1,"a":[true,null]}})";
  const std::string line = Line(BuiltinScope(), in);
  EXPECT_EQ(Keys(line), (std::vector<std::string>{"timestamp", "level", "message", "session_id", "request_id",
                                                   "model_id", "sampling_iteration", "exception", "user",
                                                   "attempt", "nested"}));
  const Json j = Parse(line);
  EXPECT_EQ(j["sampling_iteration"], 3);
  EXPECT_EQ(Str(j, "exception"), in.exception);
  EXPECT_EQ(j["nested"].dump(), R"({"z":1,"a":[true,null]})");  // nested order kept too
}

TEST_F(RecordTest, MatchesNlohmannDumpOnPlainInput) {
  RecordInput in = Basic("line1\nline2\t\"q\" \\ \x01 caf\xC3\xA9");
  in.extra = R"({"n":1.5,"big":18446744073709551615,"neg":-7,"s":"x"})";
  const std::string line = Line(BuiltinScope(), in);
  EXPECT_EQ(line, Json::parse(line, nullptr, false).dump(-1, ' ', false, Json::error_handler_t::replace));
}

TEST_F(RecordTest, ControlCharactersEscapedAndRoundTrip) {
  static const char kMsg[] = "a\0b\r\nc\x1b[31mred\x1b[0m\t\x7f\xC2\x9B\xE2\x80\xA8\xE2\x80\xA9\b\f";
  const std::string msg(kMsg, sizeof(kMsg) - 1);
  const std::string line = Line(0, Basic(msg));
  for (const char c : line) {
    const auto b = static_cast<unsigned char>(c);
    EXPECT_FALSE(b < 0x20 || b == 0x7F) << static_cast<int>(b);
  }
  EXPECT_EQ(line.find("\xC2\x9B"), std::string::npos);
  EXPECT_EQ(line.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_NE(line.find(R"(a\u0000b\r\nc\u001b[31m)"), std::string::npos);
  EXPECT_NE(line.find(R"(\u007f\u009b\u2028\u2029\b\f)"), std::string::npos);
  EXPECT_EQ(Str(Parse(line), "message"), msg);
}

TEST_F(RecordTest, IllFormedUtf8Replaced) {
  const std::string fffd = "\xEF\xBF\xBD";
  const struct {
    std::string in, out;
  } cases[] = {
      {"a\xFF" "b", "a" + fffd + "b"},
      {"\xED\xA0\x80", fffd},                          // WTF-8 lone surrogate: one U+FFFD
      {"x\xED\xB0\x80y", "x" + fffd + "y"},
      {"\xED\xC0\x80", fffd + fffd + fffd},           // not a surrogate: three subparts
      {"\xE2\x82", fffd},                              // truncated: one maximal subpart
      {"\xC0\xAF", fffd + fffd},                       // overlong
      {"\xF0\x28\x8C\x28", fffd + "(" + fffd + "("},
      {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // above U+10FFFF
      {"ok \xF0\x9F\x98\x80", "ok \xF0\x9F\x98\x80"},
  };
  for (const auto& c : cases) {
    const std::string line = Line(0, Basic(c.in));
    EXPECT_EQ(Str(Parse(line), "message"), c.out) << line;
  }
  RecordInput in = Basic("m");
  in.timestamp = "\xFF";
  in.level = "\xC3";
  in.exception = "\x80";
  const Json j = Parse(Line(0, in));
  EXPECT_EQ(Str(j, "timestamp"), fffd);
  EXPECT_EQ(Str(j, "level"), fffd);
  EXPECT_EQ(Str(j, "exception"), fffd);
}

TEST_F(RecordTest, OneMebibyteMessage) {
  std::string msg;
  for (size_t i = 0; msg.size() < (size_t{1} << 20); ++i) msg += "chunk\n\x1b\"\\\xC3\xA9 " + std::to_string(i);
  msg.resize(mellea::kMaxRecordTextBytes - 1024);  // may cut a sequence: the tail becomes U+FFFD
  const std::string line = Line(BuiltinScope(), Basic(msg));
  EXPECT_GT(line.size(), msg.size());
  const std::string got = Str(Parse(line), "message");
  const size_t stable = msg.size() - 4;
  EXPECT_EQ(got.substr(0, stable), msg.substr(0, stable));
}

TEST_F(RecordTest, TooLargeInputRefused) {
  const std::string big(mellea::kMaxRecordTextBytes + 1, 'a');
  std::string out;
  EXPECT_EQ(FormatRecord(core_.registry(), nullptr, Basic(big), &out), Status::kTooLong);
  EXPECT_TRUE(out.empty());
}

TEST_F(RecordTest, ExtraWinsWithoutDuplicateKeys) {
  RecordInput in = Basic("m");
  in.extra = R"({"session_id":"caller","model_id":null,"k":1})";
  const std::string line = Line(BuiltinScope(), in);
  EXPECT_EQ(Keys(line), (std::vector<std::string>{"timestamp", "level", "message", "request_id",
                                                   "sampling_iteration", "session_id", "model_id", "k"}));
  const Json j = Parse(line);
  EXPECT_EQ(Str(j, "session_id"), "caller");
  EXPECT_TRUE(j["model_id"].is_null());
}

TEST_F(RecordTest, RecordKeysWinOverExtra) {
  RecordInput in = Basic("real");
  in.exception = "E";
  in.extra = R"({"message":"forged","level":"DEBUG","timestamp":0,"exception":"x","ok":true})";
  const std::string line = Line(0, in);
  EXPECT_EQ(Keys(line), (std::vector<std::string>{"timestamp", "level", "message", "exception", "ok"}));
  EXPECT_EQ(Str(Parse(line), "message"), "real");
  in.exception = "";  // without an exception, the caller's "exception" is just a field
  EXPECT_EQ(Keys(Line(0, in)), (std::vector<std::string>{"timestamp", "level", "message", "exception", "ok"}));
}

TEST_F(RecordTest, DuplicateExtraKeysKeepFirstPositionLastValue) {
  RecordInput in = Basic("m");
  in.extra = R"({"a":1,"b":2,"a":3,"c":{"x":1,"x":2}})";
  const std::string line = Line(0, in);
  EXPECT_EQ(Keys(line), (std::vector<std::string>{"timestamp", "level", "message", "a", "b", "c"}));
  EXPECT_NE(line.find(R"("a":3,"b":2,"c":{"x":2})"), std::string::npos) << line;
}

// Past 16 members an object's keys are found through an index (record.cpp's
// MemberIndex): duplicates keep their first position and last value there too,
// also while the index grows.
TEST_F(RecordTest, DuplicateKeysInBigExtraObjects) {
  RecordInput in = Basic("m");
  std::string extra = "{";
  for (int i = 0; i < 300; ++i) extra += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  extra += R"("k0":"last","k17":"x","k299":true,"k17":"y","new":1})";
  in.extra = extra;
  const std::string line = Line(0, in);
  const std::vector<std::string> keys = Keys(line);
  ASSERT_EQ(keys.size(), 3u + 301u);
  EXPECT_EQ(keys[3], "k0");
  EXPECT_EQ(keys[3 + 17], "k17");
  EXPECT_EQ(keys.back(), "new");
  const Json j = Parse(line);
  EXPECT_EQ(Str(j, "k0"), "last");
  EXPECT_EQ(Str(j, "k17"), "y");
  EXPECT_EQ(j["k299"], true);
  EXPECT_EQ(j["k150"], 150);
}

TEST_F(RecordTest, UnparsableExtraKeptAsString) {
  const std::string deep_ok = std::string(kMaxExtraDepth - 1, '[') + std::string(kMaxExtraDepth - 1, ']');
  const std::string too_deep = std::string(kMaxExtraDepth, '[') + std::string(kMaxExtraDepth, ']');
  const struct {
    std::string extra;
    bool parsed;
  } cases[] = {
      {"{not json", false},  {"[1,2]", false},    {"\"str\"", false},
      {"{\"a\":1} x", false}, {"{\"a\":\"\x01\"}", false},
      {"{\"d\":" + deep_ok + "}", true}, {"{\"d\":" + too_deep + "}", false},
  };
  for (const auto& c : cases) {
    RecordInput in = Basic("m");
    in.extra = c.extra;
    const Json j = Parse(Line(0, in));
    if (c.parsed) {
      EXPECT_FALSE(j.contains("extra_unparsed")) << c.extra;
    } else {
      EXPECT_EQ(Str(j, "extra_unparsed"), c.extra);
    }
  }
}

TEST_F(RecordTest, LoneSurrogateEscapesInExtraBecomeReplacement) {
  RecordInput in = Basic("m");
  in.extra = R"({"a":"x\ud800y","b":"\udc00","c":"\ud83d\ude00","d":"\\ud800","\ud800k":1})";
  const Json j = Parse(Line(0, in));
  EXPECT_EQ(Str(j, "a"), "x\xEF\xBF\xBDy");
  EXPECT_EQ(Str(j, "b"), "\xEF\xBF\xBD");
  EXPECT_EQ(Str(j, "c"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(Str(j, "d"), "\\ud800");
  EXPECT_TRUE(j.contains("\xEF\xBF\xBDk"));
  in.extra = "{\"raw\":\"\xFF\xED\xA0\x80\"}";  // ill-formed bytes inside the JSON text
  EXPECT_EQ(Str(Parse(Line(0, in)), "raw"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

std::string ManyKeys(int n) {
  std::string extra = "{";
  for (int i = 0; i < n; ++i) extra += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  return extra + "}";
}

double SecondsToFormat(const FieldRegistry& registry, const std::string& extra) {
  RecordInput in;
  in.extra = extra;
  double best = 1e9;
  for (int run = 0; run < 5; ++run) {
    std::string out;
    const std::clock_t start = std::clock();  // CPU time: other load on the machine does not count
    EXPECT_EQ(FormatRecord(registry, nullptr, in, &out), Status::kOk);
    best = std::min(best, static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC);
  }
  return best;
}

TEST_F(RecordTest, HugeExtraObjectStaysLinear) {
  RecordInput in = Basic("m");
  const std::string extra = ManyKeys(5000);  // fits the input area
  in.extra = extra;
  const std::vector<std::string> keys = Keys(Line(0, in));
  ASSERT_EQ(keys.size(), 5003u);
  EXPECT_EQ(keys[3], "k0");
  EXPECT_EQ(keys.back(), "k4999");
  // Four times the keys must cost about four times as long, not sixteen
  // (ordered_map's own insertion is linear per key). A ratio, so load on
  // the machine does not matter much.
  const double small = SecondsToFormat(core_.registry(), ManyKeys(1250));
  const double large = SecondsToFormat(core_.registry(), ManyKeys(5000));
  EXPECT_LT(large / small, 10.0) << small << " s vs " << large << " s";
}

TEST_F(RecordTest, DefinedFieldsInRegistryOrder) {
  int tenant = -1, retries = -1, beta = -1, message = -1;
  ASSERT_EQ(core_.registry().Define("tenant", FieldType::kString, &tenant), Status::kOk);
  ASSERT_EQ(core_.registry().Define("retries", FieldType::kInteger, &retries), Status::kOk);
  ASSERT_EQ(core_.registry().Define("beta", FieldType::kBoolean, &beta), Status::kOk);
  // Keys logging writes itself cannot be fields (kReservedName).
  ASSERT_EQ(core_.registry().Define("message", FieldType::kString, &message), Status::kReservedName);
  std::vector<uint8_t> e;
  AddEntry(&e, beta, FieldType::kBoolean, "1");
  AddEntry(&e, retries, FieldType::kInteger, "-9007199254740991");
  AddEntry(&e, tenant, FieldType::kString, "acme");
  AddEntry(&e, 0, FieldType::kString, "s");
  const std::string line = Line(MakeScope(e), Basic("m"));
  EXPECT_EQ(Keys(line),
            (std::vector<std::string>{"timestamp", "level", "message", "session_id", "tenant", "retries", "beta"}));
  const Json j = Parse(line);
  EXPECT_EQ(Str(j, "message"), "m");
  EXPECT_EQ(j["retries"], -9007199254740991LL);
  EXPECT_EQ(j["beta"], true);
}

TEST_F(RecordTest, FieldDefinedAfterScopeCreation) {
  const uint64_t h = BuiltinScope();
  int late = -1;
  ASSERT_EQ(core_.registry().Define("late", FieldType::kString, &late), Status::kOk);
  const std::string redaction(8, '\2');  // covers the new field too
  RecordInput in = Basic("m");
  in.redaction = redaction;
  EXPECT_EQ(Keys(Line(h, in)).size(), 3u);
}

TEST_F(RecordTest, RedactionHashIsStableShortSha256) {
  const std::string redaction("\1\0\0\1", 4);
  RecordInput in = Basic("m");
  in.redaction = redaction;
  const Json a = Parse(Line(BuiltinScope(), in));
  const Json b = Parse(Line(BuiltinScope(), in));
  EXPECT_EQ(Str(a, "session_id"), Sha256Hex("sess-1", 16));
  EXPECT_EQ(Str(a, "session_id").size(), kRedactedHexChars);
  EXPECT_EQ(Str(a, "session_id"), Str(b, "session_id"));
  EXPECT_EQ(Str(a, "sampling_iteration"), Sha256Hex("3", 16));
  EXPECT_EQ(Str(a, "request_id"), "req-1");
  // Python: hashlib.sha256(b"sess-1").hexdigest()[:16]
  EXPECT_EQ(Sha256Hex("sess-1", 16), Sha256Hex("sess-1").substr(0, 16));
  EXPECT_NE(Sha256Hex("sess-1", 16), Sha256Hex("sess-2", 16));

  in.extra = R"({"session_id":"sess-1","sampling_iteration":3,"other":"sess-1"})";
  const Json c = Parse(Line(0, in));  // caller-given values of a hashed field are hashed too
  EXPECT_EQ(Str(c, "session_id"), Str(a, "session_id"));
  EXPECT_EQ(Str(c, "sampling_iteration"), Str(a, "sampling_iteration"));
  EXPECT_EQ(Str(c, "other"), "sess-1");

  // Digests are remembered per value: many values in turn never mix them up.
  for (int i = 0; i < 20; ++i) {
    const std::string value = "v" + std::to_string(i % 11);
    const std::string extra = R"({"session_id":")" + value + R"("})";
    in.extra = extra;
    EXPECT_EQ(Str(Parse(Line(0, in)), "session_id"), Sha256Hex(value, 16)) << value;
  }
}

TEST_F(RecordTest, RedactionOmit) {
  const std::string redaction("\2\0\2", 3);
  RecordInput in = Basic("m");
  in.redaction = redaction;
  in.extra = R"({"session_id":"caller","x":1})";
  const std::string line = Line(BuiltinScope(), in);
  EXPECT_EQ(line.find("sess-1"), std::string::npos);
  EXPECT_EQ(line.find("caller"), std::string::npos);
  EXPECT_EQ(Keys(line), (std::vector<std::string>{"timestamp", "level", "message", "request_id",
                                                   "sampling_iteration", "x"}));
}

TEST_F(RecordTest, BadRedactionByteIsMalformed) {
  RecordInput in = Basic("m");
  in.redaction = std::string_view("\0\3", 2);
  Line(0, in, Status::kMalformed);
  size_t len = 0;
  core_.Reserve(1)[0] = 3;
  EXPECT_EQ(ScopeFragmentIo(core_, 0, 1, &len), Status::kMalformed);
}

TEST_F(RecordTest, StaleHandle) {
  const uint64_t h = BuiltinScope();
  ASSERT_EQ(core_.ReleaseScope(h), Status::kOk);
  Line(h, Basic("m"), Status::kStaleHandle);
  size_t len = 0;
  EXPECT_EQ(ScopeFragmentIo(core_, h, 0, &len), Status::kStaleHandle);
  EXPECT_EQ(FormatRecordIo(core_, 12345, 0, &len), Status::kStaleHandle);  // checked before the input
}

TEST_F(RecordTest, MalformedWireInput) {
  std::vector<uint8_t> wire = Encode(Basic("hello"));
  size_t len = 0;
  std::memcpy(core_.Reserve(wire.size()), wire.data(), wire.size());
  EXPECT_EQ(FormatRecordIo(core_, 0, wire.size() - 1, &len), Status::kMalformed);
  EXPECT_EQ(FormatRecordIo(core_, 0, 10, &len), Status::kMalformed);
  EXPECT_EQ(FormatRecordIo(core_, 0, core_.io_capacity() + 1, &len), Status::kMalformed);
  wire[0] = 0xFF;
  wire[3] = 0xFF;  // a length that overflows past the end
  std::memcpy(core_.data(), wire.data(), wire.size());
  EXPECT_EQ(FormatRecordIo(core_, 0, wire.size(), &len), Status::kMalformed);
}

TEST_F(RecordTest, OutputLargerThanBufferGrowsIt) {
  const std::string msg(3000, '\x01');  // every byte becomes six
  const std::string line = Line(0, Basic(msg));
  EXPECT_GT(line.size(), 18000u);
  EXPECT_EQ(Str(Parse(line), "message"), msg);
}

TEST_F(RecordTest, ScopeFragment) {
  const uint64_t h = BuiltinScope();
  size_t len = 0;
  ASSERT_EQ(ScopeFragmentIo(core_, h, 0, &len), Status::kOk);
  const std::string fragment(core_.output(), len);
  EXPECT_EQ(fragment, R"(,"session_id":"sess-1","request_id":"req-1","model_id":"granite","sampling_iteration":3)");
  // The fragment spliced into a bare record gives the same line formatRecord does.
  EXPECT_EQ(Line(h, Basic("m")),
            R"({"timestamp":"2025-01-02T03:04:05.678Z","level":"INFO","message":"m")" + fragment + "}");

  core_.Reserve(2);
  core_.data()[0] = 1;
  core_.data()[1] = 2;
  ASSERT_EQ(ScopeFragmentIo(core_, h, 2, &len), Status::kOk);
  EXPECT_EQ(std::string(core_.output(), len),
            ",\"session_id\":\"" + Sha256Hex("sess-1", 16) + R"(","model_id":"granite","sampling_iteration":3)");
  ASSERT_EQ(ScopeFragmentIo(core_, 0, 0, &len), Status::kOk);
  EXPECT_EQ(len, 0u);
  ASSERT_EQ(ScopeFragmentIo(core_, MakeScope({}), 0, &len), Status::kOk);
  EXPECT_EQ(len, 0u);
}

TEST(Sha256Test, Fips180Vectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                      "mnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, IncrementalMatchesOneShotAtEveryPaddingBoundary) {
  std::string data;
  for (int i = 0; i < 200; ++i) data.push_back(static_cast<char>(i * 7 + 1));
  for (size_t len : {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 200}) {
    const std::string_view part(data.data(), len);
    for (size_t split = 0; split <= len; split += 13) {
      Sha256 sha;
      sha.Update(part.substr(0, split));
      sha.Update(part.substr(split));
      EXPECT_EQ(sha.Final(), Sha256Digest(part)) << len << " " << split;
    }
  }
  EXPECT_EQ(Sha256Hex("abc", 16), "ba7816bf8f01cfea");
}

TEST_F(RecordTest, EscapeTextIsTheLineWritersEscaping) {
  const std::string text = "q\"b\\ \n\x01 \xE2\x80\xA8 \xC3\xA9 \xFF";
  std::memcpy(core_.Reserve(text.size()), text.data(), text.size());
  size_t len = 0;
  ASSERT_EQ(core_.EscapeText(text.size(), &len), Status::kOk);
  std::string whole;
  mellea::AppendJsonString(text, &whole);
  EXPECT_EQ("\"" + std::string(core_.output(), len) + "\"", whole);
  EXPECT_EQ(core_.EscapeText(mellea::kMaxRecordTextBytes + 1, &len), Status::kTooLong);
}

}  // namespace
}  // namespace mellea

#include "scope_store.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core.h"
#include "request_id.h"

using mellea::FieldRegistry;
using mellea::ScopeStore;
using mellea::Status;

namespace {

void Put(std::vector<uint8_t>* out, uint8_t index, uint8_t type, const std::string& payload) {
  out->push_back(index);
  out->push_back(type);
  const uint32_t n = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<uint8_t>(n >> (8 * i)));
  out->insert(out->end(), payload.begin(), payload.end());
}

uint64_t MustCreate(ScopeStore& store, const std::vector<uint8_t>& tlv, uint64_t parent = 0) {
  mellea::CreateResult r;
  EXPECT_EQ(store.Create(parent, tlv.data(), tlv.size(), 0, &r), Status::kOk);
  return r.handle;
}

Status TryCreate(ScopeStore& store, const std::vector<uint8_t>& tlv, int* bad = nullptr, size_t max = 0,
                 uint32_t* cp = nullptr) {
  mellea::CreateResult r;
  const Status s = store.Create(0, tlv.data(), tlv.size(), max, &r);
  if (bad != nullptr) *bad = r.bad_field;
  if (cp != nullptr) *cp = r.bad_cp;
  return s;
}

std::string JsonOf(const ScopeStore& store, uint64_t h) {
  std::string json;
  EXPECT_EQ(store.Json(h, &json), Status::kOk);
  return std::string(json);
}

}  // namespace

TEST(ScopeStore, SerializesSetFieldsInRegistryOrder) {
  FieldRegistry r;
  ScopeStore store(r);
  std::vector<uint8_t> tlv;
  Put(&tlv, 3, 1, "2");
  Put(&tlv, 0, 0, "s-1");
  Put(&tlv, 2, 0, "gr\xC3\xA9nite \"x\"");
  const uint64_t h = MustCreate(store, tlv);
  EXPECT_EQ(JsonOf(store, h),
            "{\"session_id\":\"s-1\",\"model_id\":\"gr\xC3\xA9nite \\\"x\\\"\",\"sampling_iteration\":2}");
  EXPECT_EQ(JsonOf(store, MustCreate(store, {})), "{}");
}

TEST(ScopeStore, ChildCopiesItsParentAndAppliesChanges) {
  FieldRegistry r;
  ScopeStore store(r);
  std::vector<uint8_t> a, b;
  Put(&a, 0, 0, "s-1");
  Put(&a, 2, 0, "m");
  const uint64_t parent = MustCreate(store, a);
  Put(&b, 2, mellea::kChangeUnset, "");
  Put(&b, 3, 1, "7");
  const uint64_t child = MustCreate(store, b, parent);
  EXPECT_EQ(JsonOf(store, child), "{\"session_id\":\"s-1\",\"sampling_iteration\":7}");
  EXPECT_EQ(JsonOf(store, parent), "{\"session_id\":\"s-1\",\"model_id\":\"m\"}");
}

TEST(ScopeStore, FreshRequestIdIsMadeInTheSameCall) {
  FieldRegistry r;
  ScopeStore store(r);
  std::vector<uint8_t> tlv;
  Put(&tlv, 1, mellea::kChangeFreshRequestId, "");
  mellea::CreateResult res;
  ASSERT_EQ(store.Create(0, tlv.data(), tlv.size(), 0, &res), Status::kOk);
  const std::string id(res.request_id, 32);
  EXPECT_EQ(id[12], '4');
  EXPECT_EQ(JsonOf(store, res.handle), "{\"request_id\":\"" + id + "\"}");
  tlv.clear();
  Put(&tlv, 3, mellea::kChangeFreshRequestId, "");  // an integer field
  EXPECT_EQ(TryCreate(store, tlv), Status::kWrongType);
}

std::string IssuedPayload(uint32_t index, uint32_t generation) {
  std::string p(8, '\0');
  for (int i = 0; i < 4; ++i) {
    p[i] = static_cast<char>(index >> (8 * i));
    p[4 + i] = static_cast<char>(generation >> (8 * i));
  }
  return p;
}

mellea::CreateResult CreateUnder(ScopeStore& store, uint64_t parent, const std::vector<uint8_t>& tlv) {
  mellea::CreateResult r;
  EXPECT_EQ(store.Create(parent, tlv.data(), tlv.size(), 0, &r), Status::kOk);
  return r;
}

TEST(ScopeStore, AChildMadeAgainUnderTheSameParentIsAnsweredAsRepeated) {
  FieldRegistry r;
  ScopeStore store(r);
  std::vector<uint8_t> s1, s2, s3, other_order;
  Put(&s1, 0, 0, "session-0001");
  Put(&s2, 0, 0, "session-0002");
  Put(&s3, 0, 0, "session-0003");
  const mellea::CreateResult first = CreateUnder(store, 0, s1);
  EXPECT_FALSE(first.repeated);
  EXPECT_EQ(store.live(), 1u);
  // The same child again: the same handle, nothing stored.
  const mellea::CreateResult again = CreateUnder(store, 0, s1);
  EXPECT_TRUE(again.repeated);
  EXPECT_EQ(again.handle, first.handle);
  EXPECT_EQ(store.live(), 1u);
  // The two latest are compared: s1 and s2 alternating are both found.
  const mellea::CreateResult second = CreateUnder(store, 0, s2);
  EXPECT_FALSE(second.repeated);
  EXPECT_EQ(CreateUnder(store, 0, s1).handle, first.handle);
  EXPECT_EQ(CreateUnder(store, 0, s2).handle, second.handle);
  // A third pushes the oldest of them out: s1 is made anew.
  EXPECT_FALSE(CreateUnder(store, 0, s3).repeated);
  const mellea::CreateResult anew = CreateUnder(store, 0, s1);
  EXPECT_FALSE(anew.repeated);
  EXPECT_NE(anew.handle, first.handle);
  EXPECT_EQ(JsonOf(store, anew.handle), "{\"session_id\":\"session-0001\"}");
  // Under another parent the same changes make another child (its values differ).
  const mellea::CreateResult child = CreateUnder(store, second.handle, s1);
  EXPECT_FALSE(child.repeated);
  EXPECT_EQ(JsonOf(store, child.handle), "{\"session_id\":\"session-0001\"}");
  // The same values in another spelling (two changes, one of them a no-op
  // unset) are the same entries: found.
  Put(&other_order, 0, 0, "session-0001");
  Put(&other_order, 2, mellea::kChangeUnset, "");
  EXPECT_EQ(CreateUnder(store, second.handle, other_order).handle, child.handle);
}

TEST(ScopeStore, ARepeatedChildIsNeverAnEvictedOrReleasedOne) {
  FieldRegistry r;
  ScopeStore store(r);
  std::vector<uint8_t> s1;
  Put(&s1, 0, 0, "session-0001");
  const mellea::CreateResult first = CreateUnder(store, 0, s1);
  ASSERT_EQ(store.Release(first.handle), Status::kOk);
  const mellea::CreateResult again = CreateUnder(store, 0, s1);
  EXPECT_FALSE(again.repeated);
  EXPECT_NE(again.handle, first.handle);
  EXPECT_EQ(JsonOf(store, again.handle), "{\"session_id\":\"session-0001\"}");
  // Evicted meanwhile (the ring went round): made anew.
  for (size_t i = 0; i < mellea::kStoreBytes / 60000 + 2; ++i) {
    std::vector<uint8_t> one;
    Put(&one, 0, 0, std::string(60000, static_cast<char>('a' + i % 26)) + std::to_string(i));
    mellea::CreateResult big;
    ASSERT_EQ(store.Create(0, one.data(), one.size(), 65536, &big), Status::kOk);
  }
  std::string json;
  EXPECT_EQ(store.Json(again.handle, &json), Status::kStaleHandle);
  const mellea::CreateResult made = CreateUnder(store, 0, s1);
  EXPECT_FALSE(made.repeated);
  EXPECT_EQ(JsonOf(store, made.handle), "{\"session_id\":\"session-0001\"}");
}

TEST(ScopeStore, AChildWithACoreRequestIdIsNeitherComparedNorCountedAmongTheLatest) {
  FieldRegistry r;
  ScopeStore store(r);
  std::vector<uint8_t> s1, fresh;
  Put(&s1, 0, 0, "session-0001");
  Put(&fresh, 1, mellea::kChangeFreshRequestId, "");
  const mellea::CreateResult first = CreateUnder(store, 0, s1);
  // Many request scopes in between push nothing out.
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(CreateUnder(store, 0, fresh).repeated);
  EXPECT_EQ(CreateUnder(store, 0, s1).handle, first.handle);
}

TEST(ScopeStore, IssuedRequestIdIsCopiedFromTheIssuedBlock) {
  FieldRegistry r;
  ScopeStore store(r);
  const uint32_t generation = store.IssueIds();
  ASSERT_NE(generation, 0u);
  const std::string seventh(store.issued_pool() + mellea::RequestIdPool::Offset(7), mellea::kRequestIdChars);
  EXPECT_EQ(seventh[12], '4');
  std::vector<uint8_t> tlv;
  Put(&tlv, 0, 0, "s-1");
  Put(&tlv, 1, mellea::kChangeIssuedRequestId, IssuedPayload(7, generation));
  const uint64_t h = MustCreate(store, tlv);
  EXPECT_EQ(JsonOf(store, h), "{\"session_id\":\"s-1\",\"request_id\":\"" + seventh + "\"}");
  // Children copy it as a plain string entry: still there after a refill.
  std::vector<uint8_t> model;
  Put(&model, 2, 0, "m");
  const uint64_t child = MustCreate(store, model, h);
  ASSERT_NE(store.IssueIds(), generation);
  EXPECT_EQ(JsonOf(store, child), "{\"session_id\":\"s-1\",\"request_id\":\"" + seventh + "\",\"model_id\":\"m\"}");
  // A block that is no longer current, an index past the block, a short
  // payload, an integer field, a limit under 32 bytes: refused, nothing stored.
  const size_t live = store.live();
  int bad = -1;
  tlv.clear();
  Put(&tlv, 1, mellea::kChangeIssuedRequestId, IssuedPayload(7, generation));
  EXPECT_EQ(TryCreate(store, tlv, &bad), Status::kMalformed);
  EXPECT_EQ(bad, 1);
  const uint32_t now = store.IssueIds();
  tlv.clear();
  Put(&tlv, 1, mellea::kChangeIssuedRequestId, IssuedPayload(64, now));
  EXPECT_EQ(TryCreate(store, tlv), Status::kMalformed);
  tlv.clear();
  Put(&tlv, 1, mellea::kChangeIssuedRequestId, IssuedPayload(0, now).substr(0, 4));
  EXPECT_EQ(TryCreate(store, tlv), Status::kMalformed);
  tlv.clear();
  Put(&tlv, 3, mellea::kChangeIssuedRequestId, IssuedPayload(0, now));
  EXPECT_EQ(TryCreate(store, tlv), Status::kWrongType);
  tlv.clear();
  Put(&tlv, 1, mellea::kChangeIssuedRequestId, IssuedPayload(0, now));
  EXPECT_EQ(TryCreate(store, tlv, nullptr, 31), Status::kTooLong);
  EXPECT_EQ(TryCreate(store, tlv, nullptr, 32), Status::kOk);
  EXPECT_EQ(store.live(), live + 1);
}

TEST(RequestIdPool, GenerationsAreNeverZeroAndOnlyTheCurrentBlockAnswers) {
  mellea::RequestIdPool pool;
  EXPECT_EQ(pool.At(0, 0), nullptr);  // no block yet
  const uint32_t g = pool.Refill();
  ASSERT_NE(g, 0u);
  EXPECT_EQ(pool.At(0, g), pool.data() + 2);
  EXPECT_EQ(pool.At(63, g), pool.data() + mellea::RequestIdPool::Offset(63));
  EXPECT_EQ(pool.At(64, g), nullptr);
  EXPECT_EQ(pool.At(0, g + 1), nullptr);
  uint32_t index = 99;
  uint32_t taken_generation = 0;
  ASSERT_NE(pool.Take(&index, &taken_generation), nullptr);
  EXPECT_EQ(index, 0u);
  EXPECT_EQ(taken_generation, g);
}

TEST(RequestIdPool, TheBlockIsTheIdsAsAJsonArrayOfStrings) {
  mellea::RequestIdPool pool;
  ASSERT_NE(pool.Refill(), 0u);
  const std::string block(pool.data(), mellea::RequestIdPool::kBytes);
  const nlohmann::json ids = nlohmann::json::parse(block);
  ASSERT_TRUE(ids.is_array());
  ASSERT_EQ(ids.size(), mellea::RequestIdPool::kIds);
  for (uint32_t i = 0; i < mellea::RequestIdPool::kIds; ++i) {
    const std::string id = ids[i].get<std::string>();
    EXPECT_EQ(id.size(), mellea::kRequestIdChars);
    EXPECT_EQ(id, std::string(pool.At(i, 1), mellea::kRequestIdChars));
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  }
  // A refill changes the ids, never the JSON around them.
  ASSERT_NE(pool.Refill(), 0u);
  const nlohmann::json again = nlohmann::json::parse(std::string(pool.data(), mellea::RequestIdPool::kBytes));
  ASSERT_EQ(again.size(), mellea::RequestIdPool::kIds);
  EXPECT_NE(again[0], ids[0]);
}

TEST(ScopeStore, IntegersMustBeCanonicalDecimal) {
  FieldRegistry r;
  ScopeStore store(r);
  for (const char* bad : {"007", "0536870907", "-0", "+1", "1.0", " 1", "1e3", "-"}) {
    std::vector<uint8_t> tlv;
    Put(&tlv, 3, 1, bad);
    EXPECT_EQ(TryCreate(store, tlv), Status::kMalformed) << bad;
  }
  for (const char* good : {"0", "7", "2147483647"}) {
    std::vector<uint8_t> tlv;
    Put(&tlv, 3, 1, good);
    const uint64_t h = MustCreate(store, tlv);
    EXPECT_EQ(JsonOf(store, h), std::string("{\"sampling_iteration\":") + good + "}");
  }
}

TEST(ScopeStore, RejectsBadInputWithoutStoringAnything) {
  FieldRegistry r;
  ScopeStore store(r);
  int bad = -1;
  std::vector<uint8_t> tlv;
  Put(&tlv, 0, 0, "ok");
  Put(&tlv, 1, 0, "bad\n");
  EXPECT_EQ(TryCreate(store, tlv, &bad), Status::kControlChar);
  EXPECT_EQ(bad, 1);
  EXPECT_EQ(store.live(), 0u);
  tlv.clear();
  Put(&tlv, 9, 0, "x");
  EXPECT_EQ(TryCreate(store, tlv), Status::kUnknownField);
  tlv.clear();
  Put(&tlv, 0, 1, "1");
  EXPECT_EQ(TryCreate(store, tlv), Status::kWrongType);
  tlv.clear();
  Put(&tlv, 3, 1, "2147483648");
  EXPECT_EQ(TryCreate(store, tlv), Status::kOutOfRange);
  tlv.clear();
  Put(&tlv, 3, 1, "12x");
  EXPECT_EQ(TryCreate(store, tlv), Status::kMalformed);
  tlv.clear();
  Put(&tlv, 3, 1, "1.5");
  EXPECT_EQ(TryCreate(store, tlv), Status::kMalformed);
  tlv.clear();
  Put(&tlv, 0, 0, "a");
  Put(&tlv, 0, 0, "b");
  EXPECT_EQ(TryCreate(store, tlv, &bad), Status::kDuplicateField);
  EXPECT_EQ(bad, 0);
  tlv.clear();
  Put(&tlv, 0, mellea::kChangeUnset, "");
  Put(&tlv, 0, 0, "b");
  EXPECT_EQ(TryCreate(store, tlv), Status::kDuplicateField);  // null and a value: still twice
  tlv.clear();
  Put(&tlv, 0, 0, "abc");
  tlv.resize(tlv.size() - 1);  // length says 3, only 2 bytes follow
  EXPECT_EQ(TryCreate(store, tlv), Status::kMalformed);
  EXPECT_EQ(store.live(), 0u);
}

// The duplicate check is a per-call bit set: no counter that could wrap
// after 2^31 calls (finding 4 of issue 8).
TEST(ScopeStore, DuplicateCheckHasNoStateAcrossCalls) {
  FieldRegistry r;
  ScopeStore store(r);
  std::vector<uint8_t> one, two;
  Put(&one, 0, 0, "a");
  Put(&one, 2, 0, "m");
  Put(&two, 0, 0, "a");
  Put(&two, 0, 0, "b");
  for (int i = 0; i < 100000; ++i) ASSERT_EQ(TryCreate(store, one), Status::kOk);
  EXPECT_EQ(TryCreate(store, two), Status::kDuplicateField);
}

TEST(ScopeStore, RefusesLineSeparatorsAndBidiControlsNamingThem) {
  FieldRegistry r;
  ScopeStore store(r);
  const char* refused[] = {"\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAA", "\xE2\x80\xAE",
                           "\xE2\x81\xA6", "\xE2\x81\xA9"};
  const uint32_t cps[] = {0x2028, 0x2029, 0x202A, 0x202E, 0x2066, 0x2069};
  for (int k = 0; k < 6; ++k) {
    std::vector<uint8_t> tlv;
    Put(&tlv, 0, 0, std::string("user") + refused[k] + "x");
    uint32_t cp = 0;
    EXPECT_EQ(TryCreate(store, tlv, nullptr, 0, &cp), Status::kForbiddenChar) << k;
    EXPECT_EQ(cp, cps[k]);
  }
  std::vector<uint8_t> ok;
  Put(&ok, 0, 0, "\xE2\x80\xA7\xE2\x81\xAA");  // U+2027, U+206A: allowed
  EXPECT_EQ(TryCreate(store, ok), Status::kOk);
}

TEST(ScopeStore, StaleAndDoubleReleasedHandlesAreReported) {
  FieldRegistry r;
  ScopeStore store(r);
  std::vector<uint8_t> a, b;
  Put(&a, 0, 0, "a");
  Put(&b, 0, 0, "b");
  const uint64_t ha = MustCreate(store, a);
  EXPECT_EQ(store.Release(ha), Status::kOk);
  EXPECT_EQ(store.Release(ha), Status::kStaleHandle);
  std::string json;
  EXPECT_EQ(store.Json(ha, &json), Status::kStaleHandle);
  const uint64_t hb = MustCreate(store, b);
  EXPECT_NE(ha, hb);
  EXPECT_EQ(JsonOf(store, hb), "{\"session_id\":\"b\"}");
  EXPECT_EQ(store.Json(0, &json), Status::kStaleHandle);
  EXPECT_EQ(store.Json(UINT64_MAX, &json), Status::kStaleHandle);
  mellea::CreateResult res;
  EXPECT_EQ(store.Create(ha, b.data(), b.size(), 0, &res), Status::kStaleHandle);  // stale parent
}

TEST(ScopeStore, StaysWithinSlotsAndNeverAliasesAnEvictedScope) {
  FieldRegistry r;
  ScopeStore store(r);
  std::vector<uint64_t> handles;
  const int n = static_cast<int>(mellea::kSlotCount) + 1000;
  for (int i = 0; i < n; ++i) {
    std::vector<uint8_t> tlv;
    Put(&tlv, 0, 0, "s-" + std::to_string(i));
    handles.push_back(MustCreate(store, tlv));
    ASSERT_LE(store.live(), mellea::kSlotCount);
  }
  std::string json;
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(store.Json(handles[i], &json), Status::kStaleHandle);
  for (int i = n - 100; i < n; ++i) {
    EXPECT_EQ(JsonOf(store, handles[i]), "{\"session_id\":\"s-" + std::to_string(i) + "\"}");
  }
}

TEST(ScopeStore, StaysWithinItsByteBudgetWhateverIsStored) {
  FieldRegistry r;
  ASSERT_EQ(r.SetMaxValueBytes(mellea::kMaxValueBytesLimit), Status::kOk);
  ScopeStore store(r);
  std::vector<uint64_t> handles;
  for (int i = 0; i < 300; ++i) {
    std::vector<uint8_t> tlv;
    Put(&tlv, 0, 0, std::string(60000, static_cast<char>('a' + i % 26)));
    Put(&tlv, 2, 0, std::to_string(i));
    handles.push_back(MustCreate(store, tlv));
    ASSERT_LE(store.bytes_used(), mellea::kStoreBytes);
  }
  // The newest scopes are intact; the oldest gave way.
  std::string json;
  EXPECT_EQ(store.Json(handles[0], &json), Status::kStaleHandle);
  const std::string last = JsonOf(store, handles.back());
  EXPECT_EQ(last.size(), 60000 + std::string("{\"session_id\":\"\",\"model_id\":\"299\"}").size());
  EXPECT_EQ(last.substr(last.size() - 19), "\",\"model_id\":\"299\"}");
  // A scope over the per-scope cap is refused, nothing stored.
  const size_t live = store.live();
  std::vector<uint8_t> big;
  for (int f = 0; f < 3; ++f) {
    Put(&big, static_cast<uint8_t>(f), 0, std::string(65536, '"'));  // 2 x 64 KiB of JSON each
  }
  EXPECT_EQ(TryCreate(store, big), Status::kScopeTooLarge);
  EXPECT_EQ(store.live(), live);
}

TEST(ScopeStore, MixedSizesKeepEveryLiveScopeIntact) {
  FieldRegistry r;
  ASSERT_EQ(r.SetMaxValueBytes(mellea::kMaxValueBytesLimit), Status::kOk);
  ScopeStore store(r);
  std::vector<std::pair<uint64_t, std::string>> made;
  uint32_t seed = 7;
  for (int i = 0; i < 20000; ++i) {
    seed = seed * 1103515245 + 12345;
    const size_t len = 1 + (seed >> 8) % ((seed & 0xF) == 0 ? 60000 : 200);
    std::string v(len, static_cast<char>('a' + i % 26));
    v += std::to_string(i);
    std::vector<uint8_t> tlv;
    Put(&tlv, 0, 0, v.substr(0, 65536));
    const uint64_t h = MustCreate(store, tlv);
    made.emplace_back(h, "{\"session_id\":\"" + v.substr(0, 65536) + "\"}");
    ASSERT_LE(store.bytes_used(), mellea::kStoreBytes);
  }
  size_t alive = 0;
  for (const auto& [h, expect] : made) {
    std::string json;
    if (store.Json(h, &json) != Status::kOk) continue;
    ++alive;
    ASSERT_EQ(std::string(json), expect);
  }
  EXPECT_EQ(alive, store.live());
  EXPECT_GT(alive, 100u);
}

TEST(Core, InputAreaIsFixedAndRefusesMore) {
  mellea::Core core;
  uint8_t* area = core.Reserve(100);
  EXPECT_NE(area, nullptr);
  EXPECT_EQ(core.Reserve(mellea::kInputBytes), area);
  EXPECT_EQ(core.Reserve(mellea::kInputBytes + 1), nullptr);
  EXPECT_EQ(core.data(), area);
}

TEST(RequestId, Uuid4HexLayoutAndUnique) {
  std::string ids(32 * 100, '\0');
  ASSERT_TRUE(mellea::GenerateRequestIds(ids.data(), 100));
  std::vector<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = ids.substr(i * 32, 32);
    for (char c : id) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
    EXPECT_EQ(id[12], '4') << id;
    EXPECT_TRUE(id[16] == '8' || id[16] == '9' || id[16] == 'a' || id[16] == 'b') << id;
    for (const auto& s : seen) EXPECT_NE(s, id);
    seen.push_back(id);
  }
}

TEST(ScopeStore, HonoursTheLimitValuesWereAcceptedUnder) {
  FieldRegistry r;
  ASSERT_EQ(r.SetMaxValueBytes(4), Status::kOk);
  ScopeStore store(r);
  std::vector<uint8_t> tlv;
  Put(&tlv, 0, 0, "abcdefgh");
  EXPECT_EQ(TryCreate(store, tlv), Status::kTooLong);
  EXPECT_EQ(TryCreate(store, tlv, nullptr, 8), Status::kOk);
  EXPECT_EQ(TryCreate(store, tlv, nullptr, 7), Status::kTooLong);
  std::vector<uint8_t> huge;
  Put(&huge, 0, 0, std::string(mellea::kMaxValueBytesLimit + 1, 'a'));
  EXPECT_EQ(TryCreate(store, huge, nullptr, SIZE_MAX), Status::kTooLong);
}

TEST(Core, ScopeJsonIsAnOutputOfTheCore) {
  mellea::Core core;
  std::vector<uint8_t> tlv;
  Put(&tlv, 0, 0, "s \"1\"");
  Put(&tlv, 3, 1, "4");
  uint8_t* io = core.Reserve(tlv.size());
  ASSERT_NE(io, nullptr);
  std::copy(tlv.begin(), tlv.end(), io);
  uint64_t h = 0;
  int bad = -1;
  ASSERT_EQ(core.CreateScope(tlv.size(), &h, &bad), Status::kOk);
  size_t len = 0;
  ASSERT_EQ(core.ScopeJsonOut(h, &len), Status::kOk);
  EXPECT_EQ(std::string(core.output(), len), "{\"session_id\":\"s \\\"1\\\"\",\"sampling_iteration\":4}");
}

TEST(ScopeStore, ReusedSlotsNeverKeepOldValues) {
  FieldRegistry r;
  ScopeStore store(r);
  std::vector<uint8_t> a, b;
  Put(&a, 0, 0, "first");
  Put(&a, 2, 0, "model");
  Put(&b, 1, 0, "second");
  MustCreate(store, a);
  const uint64_t hb = MustCreate(store, b);
  EXPECT_EQ(JsonOf(store, hb), "{\"request_id\":\"second\"}");
  std::vector<mellea::FieldValue> values;
  ASSERT_EQ(store.Values(hb, &values), Status::kOk);
  EXPECT_FALSE(values[0].set);
  EXPECT_FALSE(values[2].set);
  EXPECT_EQ(values[1].text, "second");
}

// The JSON is written only when asked for, but a scope's size still counts
// it: two 64 KiB values of plain letters fit; the same entries made of
// quotes (each written \" in JSON) do not, and a scope exactly at the limit
// is taken, its JSON as long as counted.
TEST(ScopeStore, SizeRuleCountsTheJsonItDoesNotWriteYet) {
  FieldRegistry r;
  ASSERT_EQ(r.SetMaxValueBytes(mellea::kMaxValueBytesLimit), Status::kOk);
  ScopeStore store(r);
  std::vector<uint8_t> plain;
  Put(&plain, 0, 0, std::string(65536, 'a'));
  Put(&plain, 2, 0, std::string(65536, 'b'));
  const uint64_t h = MustCreate(store, plain);
  EXPECT_EQ(JsonOf(store, h).size(), 2 * 65536 + std::string("{\"session_id\":\"\",\"model_id\":\"\"}").size());
  std::vector<uint8_t> quotes;
  Put(&quotes, 0, 0, std::string(65536, '"'));
  Put(&quotes, 2, 0, std::string(65536, '"'));
  EXPECT_EQ(TryCreate(store, quotes), Status::kScopeTooLarge);
  // entries (2 x (6 + 65536)) + JSON ({"session_id":"…","model_id":"…"}, quotes doubled)
  // == kMaxScopeBytes exactly with q quotes in the model id; one more is refused.
  const size_t fixed = 2 * (6 + 65536) + std::string("{\"session_id\":\"\",\"model_id\":\"\"}").size() + 2 * 65536;
  ASSERT_LT(fixed, mellea::kMaxScopeBytes);
  const size_t q = mellea::kMaxScopeBytes - fixed;
  ASSERT_LE(q, 65536u);
  auto with_quotes = [](size_t n) {
    std::vector<uint8_t> tlv;
    Put(&tlv, 0, 0, std::string(65536, 'a'));
    Put(&tlv, 2, 0, std::string(n, '\\') + std::string(65536 - n, 'b'));
    return tlv;
  };
  const uint64_t edge = MustCreate(store, with_quotes(q));
  EXPECT_EQ(JsonOf(store, edge).size() + 2 * (6 + 65536), mellea::kMaxScopeBytes);
  EXPECT_EQ(TryCreate(store, with_quotes(q + 1)), Status::kScopeTooLarge);
}

// Stored entries are copied by words up to 64 bytes and by memcpy beyond
// (CopyEntries): every length on both sides of each edge reads back whole,
// for a root child stored as its changes and for a built child.
TEST(ScopeStore, StoresEveryEntryLengthWhole) {
  FieldRegistry r;
  ScopeStore store(r);
  std::vector<uint8_t> parent_tlv;
  Put(&parent_tlv, 2, 0, "m");
  const uint64_t parent = MustCreate(store, parent_tlv);
  for (size_t n = 1; n <= 256; ++n) {
    std::string value;
    for (size_t i = 0; i < n; ++i) value.push_back(static_cast<char>('a' + (i * 7 + n) % 26));
    std::vector<uint8_t> tlv;
    Put(&tlv, 0, 0, value);
    EXPECT_EQ(JsonOf(store, MustCreate(store, tlv)), "{\"session_id\":\"" + value + "\"}") << n;
    EXPECT_EQ(JsonOf(store, MustCreate(store, tlv, parent)), "{\"session_id\":\"" + value + "\",\"model_id\":\"m\"}") << n;
  }
}

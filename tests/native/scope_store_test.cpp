#include "scope_store.h"

#include <gtest/gtest.h>

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

uint64_t MustCreate(ScopeStore& store, const std::vector<uint8_t>& tlv) {
  uint64_t h = 0;
  int bad = 0;
  EXPECT_EQ(store.Create(tlv.data(), tlv.size(), &h, &bad), Status::kOk);
  return h;
}

std::string JsonOf(const ScopeStore& store, uint64_t h) {
  std::string_view json;
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

TEST(ScopeStore, RejectsBadInputWithoutStoringAnything) {
  FieldRegistry r;
  ScopeStore store(r);
  uint64_t h = 0;
  int bad = -1;
  std::vector<uint8_t> tlv;
  Put(&tlv, 0, 0, "ok");
  Put(&tlv, 1, 0, "bad\n");
  EXPECT_EQ(store.Create(tlv.data(), tlv.size(), &h, &bad), Status::kControlChar);
  EXPECT_EQ(bad, 1);
  EXPECT_EQ(store.live(), 0u);

  tlv.clear();
  Put(&tlv, 9, 0, "x");
  EXPECT_EQ(store.Create(tlv.data(), tlv.size(), &h, &bad), Status::kUnknownField);
  tlv.clear();
  Put(&tlv, 0, 1, "1");
  EXPECT_EQ(store.Create(tlv.data(), tlv.size(), &h, &bad), Status::kWrongType);
  tlv.clear();
  Put(&tlv, 3, 1, "2147483648");
  EXPECT_EQ(store.Create(tlv.data(), tlv.size(), &h, &bad), Status::kOutOfRange);
  tlv.clear();
  Put(&tlv, 3, 1, "12x");
  EXPECT_EQ(store.Create(tlv.data(), tlv.size(), &h, &bad), Status::kMalformed);
  tlv.clear();
  Put(&tlv, 0, 0, "a");
  Put(&tlv, 0, 0, "b");
  EXPECT_EQ(store.Create(tlv.data(), tlv.size(), &h, &bad), Status::kDuplicateField);
  tlv.clear();
  Put(&tlv, 0, 0, "abc");
  tlv.resize(tlv.size() - 1);  // length says 3, only 2 bytes follow
  EXPECT_EQ(store.Create(tlv.data(), tlv.size(), &h, &bad), Status::kMalformed);
  EXPECT_EQ(store.live(), 0u);
}

TEST(ScopeStore, StaleAndDoubleReleasedHandlesAreReported) {
  FieldRegistry r;
  ScopeStore store(r, 2);
  std::vector<uint8_t> a, b;
  Put(&a, 0, 0, "a");
  Put(&b, 0, 0, "b");
  const uint64_t ha = MustCreate(store, a);
  EXPECT_EQ(store.Release(ha), Status::kOk);
  EXPECT_EQ(store.Release(ha), Status::kStaleHandle);
  std::string_view json;
  EXPECT_EQ(store.Json(ha, &json), Status::kStaleHandle);
  const uint64_t hb = MustCreate(store, b);  // reuses the released slot
  EXPECT_NE(ha, hb);
  EXPECT_EQ(store.Json(ha, &json), Status::kStaleHandle);
  EXPECT_EQ(JsonOf(store, hb), "{\"session_id\":\"b\"}");
  EXPECT_EQ(store.Json(0, &json), Status::kStaleHandle);
  EXPECT_EQ(store.Json(UINT64_MAX, &json), Status::kStaleHandle);
}

TEST(ScopeStore, StaysBoundedAndNeverAliasesAnEvictedScope) {
  FieldRegistry r;
  ScopeStore store(r, 8);
  std::vector<uint64_t> handles;
  for (int i = 0; i < 1000; ++i) {
    std::vector<uint8_t> tlv;
    Put(&tlv, 0, 0, "s-" + std::to_string(i));
    handles.push_back(MustCreate(store, tlv));
    EXPECT_LE(store.live(), 8u);
  }
  std::string_view json;
  for (int i = 0; i < 992; ++i) EXPECT_EQ(store.Json(handles[i], &json), Status::kStaleHandle);
  for (int i = 992; i < 1000; ++i) {
    EXPECT_EQ(JsonOf(store, handles[i]), "{\"session_id\":\"s-" + std::to_string(i) + "\"}");
  }
}

TEST(Core, ReserveRefusesHugeBuffersInsteadOfAborting) {
  mellea::Core core;
  EXPECT_NE(core.Reserve(100), nullptr);
  EXPECT_EQ(core.Reserve(mellea::kMaxIoBytes + 1), nullptr);
  EXPECT_GE(core.io_capacity(), 100u);
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
  uint64_t h = 0;
  int bad = -1;
  EXPECT_EQ(store.Create(tlv.data(), tlv.size(), &h, &bad), Status::kTooLong);
  EXPECT_EQ(store.Create(tlv.data(), tlv.size(), &h, &bad, 8), Status::kOk);
  EXPECT_EQ(store.Create(tlv.data(), tlv.size(), &h, &bad, 7), Status::kTooLong);
  std::vector<uint8_t> huge;
  Put(&huge, 0, 0, std::string(mellea::kMaxValueBytesLimit + 1, 'a'));
  EXPECT_EQ(store.Create(huge.data(), huge.size(), &h, &bad, SIZE_MAX), Status::kTooLong);
}

TEST(Core, CreateScopeLeavesTheScopeJsonInTheIoBuffer) {
  mellea::Core core;
  std::vector<uint8_t> tlv;
  Put(&tlv, 0, 0, "s \"1\"");
  Put(&tlv, 3, 1, "4");
  uint8_t* io = core.Reserve(tlv.size());
  ASSERT_NE(io, nullptr);
  std::copy(tlv.begin(), tlv.end(), io);
  uint64_t h = 0;
  int bad = -1;
  ASSERT_EQ(core.CreateScope(tlv.size(), 0, &h, &bad), Status::kOk);
  const uint8_t* out = core.data();
  const uint32_t n = out[0] | (out[1] << 8) | (out[2] << 16) | (uint32_t(out[3]) << 24);
  const std::string json(reinterpret_cast<const char*>(out + 4), n);
  EXPECT_EQ(json, "{\"session_id\":\"s \\\"1\\\"\",\"sampling_iteration\":4}");
  EXPECT_EQ(JsonOf(core.store(), h), json);
}

TEST(ScopeStore, ReusedSlotsNeverKeepOldValues) {
  FieldRegistry r;
  ScopeStore store(r, 1);
  std::vector<uint8_t> a, b;
  Put(&a, 0, 0, "first");
  Put(&a, 2, 0, "model");
  Put(&b, 1, 0, "second");
  MustCreate(store, a);
  const uint64_t hb = MustCreate(store, b);
  EXPECT_EQ(JsonOf(store, hb), "{\"request_id\":\"second\"}");
  const auto* values = store.Values(hb);
  ASSERT_NE(values, nullptr);
  EXPECT_FALSE((*values)[0].set);
  EXPECT_FALSE((*values)[2].set);
}

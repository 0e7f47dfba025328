// The whole C++/JS boundary. Only integers cross: inputs and outputs travel
// as bytes in the core's I/O buffer (js/core/boundary.js writes and reads
// them), results are a value or a negated Status. No exception can cross:
// the core is built with -fno-exceptions.
#include <emscripten/bind.h>

#include <cstdint>

#include "baggage.h"
#include "core.h"
#include "record.h"

namespace {

using mellea::Status;

mellea::Core& TheCore() {
  static mellea::Core core;
  return core;
}

int g_bad_field = -1;

int32_t Fail(Status s) { return -mellea::to_int(s); }

// An output length, or the negated status.
int32_t LengthOr(Status s, size_t len) { return s == Status::kOk ? static_cast<int32_t>(len) : Fail(s); }

// Handles cross as doubles (they stay below 2^53); anything else is stale.
bool ToHandle(double d, uint64_t* handle) {
  if (!(d >= 0 && d < 9007199254740992.0)) return false;
  *handle = static_cast<uint64_t>(d);
  return true;
}

uint32_t IoReserve(uint32_t bytes) {
  return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(TheCore().Reserve(bytes)));
}

uint32_t IoPointer() { return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(TheCore().data())); }

// Encoded scope of `len` bytes -> handle (the scope's JSON is left in the I/O
// buffer), or -status with BadField() naming the refused field.
double ScopeCreate(uint32_t len, uint32_t max_value_bytes) {
  uint64_t handle = 0;
  const Status s = TheCore().CreateScope(len, max_value_bytes, &handle, &g_bad_field);
  if (s != Status::kOk) return -static_cast<double>(mellea::to_int(s));
  return static_cast<double>(handle);
}

int32_t BadField() { return g_bad_field; }

int32_t ScopeJson(double d) {
  uint64_t handle = 0;
  size_t len = 0;
  if (!ToHandle(d, &handle)) return Fail(Status::kStaleHandle);
  return LengthOr(TheCore().ScopeJsonOut(handle, &len), len);
}

int32_t LiveScopes() { return static_cast<int32_t>(TheCore().store().live()); }

int32_t ValidateString(uint32_t len) { return Fail(TheCore().ValidateString(len)); }

int32_t DefineField(uint32_t name_len, int32_t type) {
  if (type < 0 || type > 2) return Fail(Status::kWrongType);
  int index = -1;
  const Status s = TheCore().DefineField(name_len, static_cast<mellea::FieldType>(type), &index);
  return s == Status::kOk ? index : Fail(s);
}

int32_t SetMaxValueBytes(uint32_t bytes) { return Fail(TheCore().registry().SetMaxValueBytes(bytes)); }

int32_t RequestIds(uint32_t count) {
  size_t len = 0;
  return LengthOr(TheCore().RequestIds(count, &len), len);
}

// Header value of `len` bytes -> fields in scopeCreate's encoding followed by
// a u32 LE dropped-member count.
int32_t BaggageExtract(uint32_t len) {
  size_t out = 0;
  return LengthOr(mellea::BaggageExtract(TheCore(), len, &out), out);
}

// Existing header value of `existing_len` bytes (0 for none) -> merged header.
int32_t BaggageInject(double d, uint32_t existing_len) {
  uint64_t handle = 0;
  size_t out = 0;
  if (!ToHandle(d, &handle)) return Fail(Status::kStaleHandle);
  return LengthOr(mellea::BaggageInject(TheCore(), handle, existing_len, &out), out);
}

// Record of `len` bytes (see mellea::DecodeRecordInput: six u32 LE lengths,
// then timestamp, level, message, exception, extra JSON, redaction bytes)
// -> the JSON line (no newline). Handle 0: no scope.
int32_t FormatRecord(double d, uint32_t len) {
  uint64_t handle = 0;
  size_t out = 0;
  if (!ToHandle(d, &handle)) return Fail(Status::kStaleHandle);
  return LengthOr(mellea::FormatRecordIo(TheCore(), handle, len, &out), out);
}

// Redaction bytes (one per field index) -> `,"name":value...` of the scope's
// set fields (empty for none).
int32_t ScopeFragment(double d, uint32_t redaction_len) {
  uint64_t handle = 0;
  size_t out = 0;
  if (!ToHandle(d, &handle)) return Fail(Status::kStaleHandle);
  return LengthOr(mellea::ScopeFragmentIo(TheCore(), handle, redaction_len, &out), out);
}

}  // namespace

EMSCRIPTEN_BINDINGS(mellea_core) {
  emscripten::function("ioReserve", &IoReserve);
  emscripten::function("ioPointer", &IoPointer);
  emscripten::function("scopeCreate", &ScopeCreate);
  emscripten::function("badField", &BadField);
  emscripten::function("scopeJson", &ScopeJson);
  emscripten::function("liveScopes", &LiveScopes);
  emscripten::function("validateString", &ValidateString);
  emscripten::function("defineField", &DefineField);
  emscripten::function("setMaxValueBytes", &SetMaxValueBytes);
  emscripten::function("requestIds", &RequestIds);
  emscripten::function("baggageExtract", &BaggageExtract);
  emscripten::function("baggageInject", &BaggageInject);
  emscripten::function("formatRecord", &FormatRecord);
  emscripten::function("scopeFragment", &ScopeFragment);
}

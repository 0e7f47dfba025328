// The whole C++/JS boundary. Only integers cross: inputs and outputs travel
// as bytes in the core's I/O buffer (js/core/boundary.js writes and reads
// them), results are a value or a negated Status. No exception can cross:
// the core is built with -fno-exceptions.
#include <emscripten/bind.h>

#include <cstdint>

#include "core.h"

namespace {

mellea::Core& TheCore() {
  static mellea::Core core;
  return core;
}

int g_bad_field = -1;

int32_t Fail(mellea::Status s) { return -mellea::to_int(s); }

uint32_t IoReserve(uint32_t bytes) {
  return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(TheCore().Reserve(bytes)));
}

// Handles are below 2^53, so a double carries them exactly.
double ScopeCreate(uint32_t len, uint32_t max_value_bytes) {
  uint64_t handle = 0;
  const mellea::Status s = TheCore().CreateScope(len, max_value_bytes, &handle, &g_bad_field);
  if (s != mellea::Status::kOk) return -static_cast<double>(mellea::to_int(s));
  return static_cast<double>(handle);
}

int32_t BadField() { return g_bad_field; }

int32_t ScopeJson(double handle) {
  if (!(handle >= 0 && handle < 9007199254740992.0)) return Fail(mellea::Status::kStaleHandle);
  size_t len = 0;
  const mellea::Status s = TheCore().ScopeJsonOut(static_cast<uint64_t>(handle), &len);
  return s == mellea::Status::kOk ? static_cast<int32_t>(len) : Fail(s);
}

int32_t ScopeRelease(double handle) {
  if (!(handle >= 0 && handle < 9007199254740992.0)) return Fail(mellea::Status::kStaleHandle);
  return Fail(TheCore().ReleaseScope(static_cast<uint64_t>(handle)));
}

int32_t LiveScopes() { return static_cast<int32_t>(TheCore().store().live()); }

int32_t ValidateString(uint32_t len) { return Fail(TheCore().ValidateString(len)); }

int32_t DefineField(uint32_t name_len, int32_t type) {
  if (type < 0 || type > 2) return Fail(mellea::Status::kWrongType);
  int index = -1;
  const mellea::Status s =
      TheCore().DefineField(name_len, static_cast<mellea::FieldType>(type), &index);
  return s == mellea::Status::kOk ? index : Fail(s);
}

int32_t SetMaxValueBytes(uint32_t bytes) {
  return Fail(TheCore().registry().SetMaxValueBytes(bytes));
}

int32_t RequestIds(uint32_t count) {
  size_t len = 0;
  const mellea::Status s = TheCore().RequestIds(count, &len);
  return s == mellea::Status::kOk ? static_cast<int32_t>(len) : Fail(s);
}

uint32_t IoPointer() { return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(TheCore().data())); }

}  // namespace

EMSCRIPTEN_BINDINGS(mellea_core) {
  emscripten::function("ioReserve", &IoReserve);
  emscripten::function("ioPointer", &IoPointer);
  emscripten::function("scopeCreate", &ScopeCreate);
  emscripten::function("badField", &BadField);
  emscripten::function("scopeJson", &ScopeJson);
  emscripten::function("scopeRelease", &ScopeRelease);
  emscripten::function("liveScopes", &LiveScopes);
  emscripten::function("validateString", &ValidateString);
  emscripten::function("defineField", &DefineField);
  emscripten::function("setMaxValueBytes", &SetMaxValueBytes);
  emscripten::function("requestIds", &RequestIds);
}

// --- baggage ---
// Own block and bindings so this section merges independently of the others.
#include "baggage.h"

namespace {

// Header value of `len` bytes in the I/O buffer -> fields in scopeCreate's
// encoding followed by a u32 LE dropped-member count; returns the length.
int32_t BaggageExtract(uint32_t len) {
  size_t out = 0;
  const mellea::Status s = mellea::BaggageExtract(TheCore(), len, &out);
  return s == mellea::Status::kOk ? static_cast<int32_t>(out) : Fail(s);
}

// Existing header value of `existing_len` bytes (0 for none) -> merged header.
int32_t BaggageInject(double handle, uint32_t existing_len) {
  if (!(handle >= 0 && handle < 9007199254740992.0)) return Fail(mellea::Status::kStaleHandle);
  size_t out = 0;
  const mellea::Status s =
      mellea::BaggageInject(TheCore(), static_cast<uint64_t>(handle), existing_len, &out);
  return s == mellea::Status::kOk ? static_cast<int32_t>(out) : Fail(s);
}

}  // namespace

EMSCRIPTEN_BINDINGS(mellea_baggage) {
  emscripten::function("baggageExtract", &BaggageExtract);
  emscripten::function("baggageInject", &BaggageInject);
}

// --- records ---
// Own block and bindings so this section merges independently of the others.
#include "record.h"

namespace {

// Record of `len` bytes in the I/O buffer (see mellea::DecodeRecordInput:
// six u32 LE lengths, then timestamp, level, message, exception, extra JSON,
// redaction bytes) -> the JSON line (no newline); returns its length.
int32_t FormatRecord(double handle, uint32_t len) {
  if (!(handle >= 0 && handle < 9007199254740992.0)) return Fail(mellea::Status::kStaleHandle);
  size_t out = 0;
  const mellea::Status s = mellea::FormatRecordIo(TheCore(), static_cast<uint64_t>(handle), len, &out);
  return s == mellea::Status::kOk ? static_cast<int32_t>(out) : Fail(s);
}

// Redaction bytes (`redaction_len`, one per field index) in the I/O buffer
// -> `,"name":value…` for the scope's set fields (empty for none).
int32_t ScopeFragment(double handle, uint32_t redaction_len) {
  if (!(handle >= 0 && handle < 9007199254740992.0)) return Fail(mellea::Status::kStaleHandle);
  size_t out = 0;
  const mellea::Status s =
      mellea::ScopeFragmentIo(TheCore(), static_cast<uint64_t>(handle), redaction_len, &out);
  return s == mellea::Status::kOk ? static_cast<int32_t>(out) : Fail(s);
}

}  // namespace

EMSCRIPTEN_BINDINGS(mellea_records) {
  emscripten::function("formatRecord", &FormatRecord);
  emscripten::function("scopeFragment", &ScopeFragment);
}

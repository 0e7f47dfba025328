// The whole C++/JS boundary, and the only file that knows Emscripten. Only
// integers (and handles as doubles) cross: inputs travel as bytes in the
// core's fixed input area, outputs come back as (pointer, length) in the
// fixed result area, failures as a negated Status. Nothing moves under JS:
// the module is linked without memory growth (see CMakeLists.txt), and both
// areas are allocated once. No exception can cross: the core is built with
// -fno-exceptions. js/core/boundary.js is the other half of this file.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>

#include <cstdint>
#include <cstring>

#include "baggage.h"
#include "core.h"
#include "record.h"

namespace {

using mellea::Status;

mellea::Core& TheCore() {
  static mellea::Core core;
  return core;
}

// The result area, read by JS as u32 words at a fixed address:
// [0] output pointer, [1] output length, [2] refused field index (or -1),
// [3] refused code point, [4] index in the id pool of the request id a scope
// creation made, [5] the id pool's generation then (see idPoolArea), [6] 1
// when the handle a scope creation answered is a child made before
// (CreateResult::repeated), else 0.
struct ResultArea {
  uint32_t out_ptr;
  uint32_t out_len;
  int32_t bad_field;
  uint32_t bad_cp;
  uint32_t request_id_index;
  uint32_t request_id_generation;
  uint32_t repeated;
};
ResultArea g_result;

int32_t Fail(Status s) { return -mellea::to_int(s); }

// An output: its address and length into the result area; returns the
// length, or the negated status.
int32_t Output(Status s, size_t len) {
  if (s != Status::kOk) return Fail(s);
  g_result.out_ptr = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(TheCore().output()));
  g_result.out_len = static_cast<uint32_t>(len);
  return static_cast<int32_t>(len);
}

// Handles cross as doubles (they stay below 2^53); anything else is stale.
bool ToHandle(double d, uint64_t* handle) {
  if (!(d >= 0 && d < 9007199254740992.0)) return false;
  *handle = static_cast<uint64_t>(d);
  return true;
}

uint32_t InputArea() { return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(TheCore().data())); }
uint32_t InputCapacity() { return static_cast<uint32_t>(mellea::kInputBytes); }
uint32_t ResultAreaAddress() { return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(&g_result)); }
// The fixed block fresh request ids are taken from, RequestIdPool::kBytes long.
uint32_t IdPoolArea() { return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(TheCore().store().id_pool())); }

// Child of `parent` (0: none) with the changes of `len` bytes in the input
// area -> handle, or -status with the refused field and code point in the
// result area. A generated request id is left there too.
double ScopeCreate(double parent_d, uint32_t len, uint32_t max_value_bytes) {
  uint64_t parent = 0;
  g_result.repeated = 0;
  if (!ToHandle(parent_d, &parent)) return -static_cast<double>(mellea::to_int(Status::kStaleHandle));
  mellea::CreateResult r;
  const Status s = TheCore().CreateScope(parent, len, max_value_bytes, &r);
  g_result.bad_field = r.bad_field;
  g_result.bad_cp = r.bad_cp;
  g_result.repeated = r.repeated ? 1 : 0;
  if (s != Status::kOk) return -static_cast<double>(mellea::to_int(s));
  g_result.request_id_index = r.request_id_index;
  g_result.request_id_generation = r.request_id_generation;
  return static_cast<double>(r.handle);
}

}  // namespace

// ScopeCreate as a plain wasm export, not through embind: JS calls it with
// three numbers and no embind invoker (argument-count check, wire
// conversions) in between. The request-scope path (a fresh id per request)
// is called once per request, where that wrapper was the cost the bound
// missed by (issue 8: at most 1.0x of OpenTelemetry's context.with).
extern "C" EMSCRIPTEN_KEEPALIVE double mellea_scope_create(double parent_d, uint32_t len, uint32_t max_value_bytes) {
  return ScopeCreate(parent_d, len, max_value_bytes);
}

namespace {

int32_t ScopeJson(double d) {
  uint64_t handle = 0;
  size_t len = 0;
  if (!ToHandle(d, &handle)) return Fail(Status::kStaleHandle);
  return Output(TheCore().ScopeJsonOut(handle, &len), len);
}

}  // namespace

// ScopeJson as a plain export too (not through embind), for the same reason: the first line a
// request logs reads its new scope's JSON (measured 51 ns through embind's
// invoker, 38 ns as the plain export).
extern "C" EMSCRIPTEN_KEEPALIVE int32_t mellea_scope_json(double handle) { return ScopeJson(handle); }

namespace {

int32_t LiveScopes() { return static_cast<int32_t>(TheCore().store().live()); }
int32_t StoreBytes() { return static_cast<int32_t>(TheCore().store().bytes_used()); }

int32_t DefineField(uint32_t name_len, int32_t type) {
  if (type < 0 || type > 2) return Fail(Status::kWrongType);
  int index = -1;
  const Status s = TheCore().DefineField(name_len, static_cast<mellea::FieldType>(type), &index);
  return s == Status::kOk ? index : Fail(s);
}

int32_t SetMaxValueBytes(uint32_t bytes) { return Fail(TheCore().registry().SetMaxValueBytes(bytes)); }

// generateRequestId()'s ids: a new block of RequestIdPool::kIds ids at
// issuedIdArea() -> its generation (0: no random bytes). A scope given one
// of them names it by index and generation (kChangeIssuedRequestId).
uint32_t IssueIds() { return TheCore().store().IssueIds(); }
uint32_t IssuedIdArea() { return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(TheCore().store().issued_pool())); }

// Text of `len` bytes -> its JSON string escaping, without the quotes.
int32_t EscapeJson(uint32_t len) {
  size_t out = 0;
  return Output(TheCore().EscapeText(len, &out), out);
}

// Text of `len` bytes -> its logfmt value (bare or quoted); with
// `inside_only` 1, escaped without quotes (a chunk of a long text).
int32_t TextValue(uint32_t len, uint32_t inside_only) {
  size_t out = 0;
  return Output(TheCore().TextValue(len, inside_only != 0, &out), out);
}

// Header value of `len` bytes -> fields in scopeCreate's encoding followed by
// a u32 LE dropped-member count.
int32_t BaggageExtract(uint32_t len) {
  size_t out = 0;
  return Output(mellea::BaggageExtract(TheCore(), len, &out), out);
}

// Existing header value of `existing_len` bytes (0 for none) -> merged header.
int32_t BaggageInject(double d, uint32_t existing_len) {
  uint64_t handle = 0;
  size_t out = 0;
  if (!ToHandle(d, &handle)) return Fail(Status::kStaleHandle);
  return Output(mellea::BaggageInject(TheCore(), handle, existing_len, &out), out);
}

// Record of `len` bytes (see mellea::DecodeRecordInput: six u32 LE lengths,
// then timestamp, level, message, exception, extra JSON, redaction bytes)
// -> the JSON line (no newline). Handle 0: no scope.
int32_t FormatRecord(double d, uint32_t len) {
  uint64_t handle = 0;
  size_t out = 0;
  if (!ToHandle(d, &handle)) return Fail(Status::kStaleHandle);
  return Output(mellea::FormatRecordIo(TheCore(), handle, len, &out), out);
}

// Redaction bytes (one per field index) -> `,"name":value...` of the scope's
// set fields (empty for none).
int32_t ScopeFragment(double d, uint32_t redaction_len) {
  uint64_t handle = 0;
  size_t out = 0;
  if (!ToHandle(d, &handle)) return Fail(Status::kStaleHandle);
  return Output(mellea::ScopeFragmentIo(TheCore(), handle, redaction_len, &out), out);
}

}  // namespace

// The calls made per log line, per request or per scope, as plain exports
// too: one embind call through its invoker costs 3-4 ns with the invokers
// the glue generates with `new Function`, and ~200 ns with the generic ones
// of a glue linked with DYNAMIC_EXECUTION=0 (escapeJson: 115 vs 393 ns), which
// is the one glue the package ships, since Cloudflare Workers refuse code
// generation from strings. What stays in embind below runs at load, once
// per 64 request ids, or when asked (storeStats, defineField, configure).
extern "C" {
EMSCRIPTEN_KEEPALIVE int32_t mellea_escape_json(uint32_t len) { return EscapeJson(len); }
EMSCRIPTEN_KEEPALIVE int32_t mellea_text_value(uint32_t len, uint32_t inside_only) { return TextValue(len, inside_only); }
EMSCRIPTEN_KEEPALIVE int32_t mellea_baggage_extract(uint32_t len) { return BaggageExtract(len); }
EMSCRIPTEN_KEEPALIVE int32_t mellea_baggage_inject(double handle, uint32_t existing_len) { return BaggageInject(handle, existing_len); }
EMSCRIPTEN_KEEPALIVE int32_t mellea_format_record(double handle, uint32_t len) { return FormatRecord(handle, len); }
EMSCRIPTEN_KEEPALIVE int32_t mellea_scope_fragment(double handle, uint32_t redaction_len) { return ScopeFragment(handle, redaction_len); }
}

EMSCRIPTEN_BINDINGS(mellea_core) {
  emscripten::function("inputArea", &InputArea);
  emscripten::function("inputCapacity", &InputCapacity);
  emscripten::function("resultArea", &ResultAreaAddress);
  emscripten::function("idPoolArea", &IdPoolArea);
  emscripten::function("liveScopes", &LiveScopes);
  emscripten::function("storeBytes", &StoreBytes);
  emscripten::function("defineField", &DefineField);
  emscripten::function("setMaxValueBytes", &SetMaxValueBytes);
  emscripten::function("issueIds", &IssueIds);
  emscripten::function("issuedIdArea", &IssuedIdArea);
}

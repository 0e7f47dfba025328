// One context core: the registry, the store and the fixed transfer areas
// that carry every input and output across the wasm boundary. Nothing here
// grows after construction: the input area (kInputBytes) and the output
// area are allocated once, so an address handed to JS never moves. The
// bindings file only exposes these methods; everything here builds and
// tests natively.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fields.h"
#include "scope_store.h"
#include "status.h"

namespace mellea {

// The input area: JS copies inputs here, after checking they fit (an input
// over this limit is refused or cut in JS before it is copied). It holds
// the entries of the largest scope, so any scope can be stored again from
// its JS mirror.
constexpr size_t kInputBytes = size_t{148} << 10;
static_assert(kInputBytes >= kMaxScopeEntryBytes, "a stored scope must fit the input area");
// Record texts (timestamp, level, message, exception, extra) in all; JS cuts
// longer ones with a visible marker before they are copied.
constexpr size_t kMaxRecordTextBytes = size_t{64} << 10;
// The output area: the largest output any call writes (a record's texts,
// every byte escaped to six, plus a scope's fields).
constexpr size_t kOutputBytes = kMaxRecordTextBytes * 6 + kMaxScopeBytes + 8192;

class Core {
 public:
  Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // The input area when `bytes` fit in it, else nullptr.
  uint8_t* Reserve(size_t bytes) { return bytes <= kInputBytes ? in_.get() : nullptr; }
  uint8_t* data() { return in_.get(); }
  size_t io_capacity() const { return kInputBytes; }

  // The last output: (pointer, length) of bytes owned by the core, valid
  // until the next call.
  const char* output() const { return out_ptr_; }
  size_t output_len() const { return out_len_; }

  // Stores the child of `parent` with the changes of in_len bytes in the
  // input area (see ScopeStore::Create).
  Status CreateScope(uint64_t parent, size_t in_len, size_t max_value_bytes, CreateResult* out);
  // Compatibility for tests: a root child, handle and bad field only.
  Status CreateScope(size_t in_len, uint64_t* handle, int* bad_field);
  // The scope's JSON as the output.
  Status ScopeJsonOut(uint64_t handle, size_t* len);
  Status ReleaseScope(uint64_t handle) { return store_.Release(handle); }
  Status DefineField(size_t name_len, FieldType type, int* index);
  // The in_len bytes of text in the input area as the inside of a JSON
  // string (the one writer's escaping, without the quotes): texts too large
  // for a record are escaped in chunks this way.
  Status EscapeText(size_t in_len, size_t* len);
  // The in_len bytes of text in the input area as a logfmt value (the one
  // text writer, src/text_value.h): bare or quoted, or with `inside_only`
  // escaped without quotes (texts too large for one call, in chunks).
  Status TextValue(size_t in_len, bool inside_only, size_t* len);
  // Copies n bytes into the output area (kNoMemory if they do not fit).
  Status WriteOut(const char* bytes, size_t n, size_t* len);
  // Points the output at bytes the core owns (the store, the output area).
  void PointOut(const char* bytes, size_t n) {
    out_ptr_ = bytes;
    out_len_ = n;
  }
  // A string the callers build outputs in: its capacity is reserved once
  // (kOutputBytes), and outputs are bounded by the input area, so it never
  // reallocates in normal use.
  std::string& scratch_out() { return out_; }
  Status FinishOut(size_t* len);
  // The scope's values, materialised into a reused vector (nullptr: stale).
  const std::vector<FieldValue>* ValuesOf(uint64_t handle);

  FieldRegistry& registry() { return registry_; }
  ScopeStore& store() { return store_; }

 private:
  FieldRegistry registry_;
  ScopeStore store_;
  std::unique_ptr<uint8_t[]> in_;
  std::string out_;
  const char* out_ptr_ = nullptr;
  size_t out_len_ = 0;
  std::vector<FieldValue> values_;
};

}  // namespace mellea

// The context store: immutable scopes in a fixed table of slots, addressed by
// handles that carry the slot's generation. A handle whose slot was released
// or reused reads as kStaleHandle and can never reach another scope's data.
//
// The JS layer keeps every scope's fields itself and asks the store for a
// slot only when it needs the C++ side (JSON, log records, baggage). So the
// store is a bounded cache: when full, the oldest slot is reused, and a JS
// scope whose slot went stale simply creates it again. That keeps memory
// bounded without a FinalizationRegistry (250-400 ns a scope, measured).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fields.h"
#include "json_writer.h"
#include "status.h"

namespace mellea {

struct FieldValue {
  bool set = false;
  FieldType type = FieldType::kString;
  std::string text;     // kString
  int64_t integer = 0;  // kInteger, and kBoolean as 0/1
};

// Handles fit in 53 bits so JS numbers carry them exactly:
// generation (37 bits) << 16 | slot index (16 bits).
constexpr size_t kMaxCapacity = 65536;
constexpr size_t kDefaultCapacity = 4096;

class ScopeStore {
 public:
  explicit ScopeStore(const FieldRegistry& registry, size_t capacity = kDefaultCapacity);

  // Validates every field of the encoded scope, then stores it. The encoding
  // is a sequence of entries: u8 field index, u8 type, u32 little-endian
  // payload length, payload (UTF-8 text; decimal ASCII for integers; "0" or
  // "1" for booleans). On failure nothing is stored and *bad_field names the
  // offending field index (or -1).
  // max_value_bytes is the string limit the values were accepted under
  // (0: the registry's current limit), so that lowering the limit later does
  // not make scopes made before unusable; it never exceeds kMaxValueBytesLimit.
  Status Create(const uint8_t* data, size_t len, uint64_t* handle_out, int* bad_field,
                size_t max_value_bytes = 0);

  // Canonical JSON object of the scope's set fields, in registry order.
  Status Json(uint64_t handle, std::string_view* out) const;
  Status Get(uint64_t handle, size_t field, const FieldValue** out) const;
  const std::vector<FieldValue>* Values(uint64_t handle) const;

  Status Release(uint64_t handle);

  size_t live() const { return live_; }
  size_t capacity() const { return slots_.size(); }

 private:
  struct Slot {
    uint64_t generation = 1;
    bool live = false;
    std::vector<FieldValue> values;
    std::string json;
  };
  const Slot* Lookup(uint64_t handle) const;
  size_t TakeSlot();

  const FieldRegistry& registry_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  std::vector<FieldValue> scratch_;
  JsonWriter writer_;
  size_t clock_ = 0;
  size_t live_ = 0;
};

// Serializes values (registry order, set ones only) as one JSON object.
std::string ScopeJson(const FieldRegistry& registry, const std::vector<FieldValue>& values);
void AppendScopeJson(const FieldRegistry& registry, const std::vector<FieldValue>& values, JsonWriter* w);

}  // namespace mellea

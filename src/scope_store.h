// The context store: every scope of the process, immutable once made, in a
// fixed byte arena addressed by handles that carry the slot's generation. A
// handle whose slot was reused reads as kStaleHandle and can never reach
// another scope's data.
//
// Memory is bounded in bytes, not only in slots: the arena (kStoreBytes) and
// the slot table (kSlotCount) are allocated once, when the store is made,
// and never grow. A new scope is written after the newest one; when it does
// not fit, the oldest scopes are evicted until it does (a ring). A scope
// larger than kMaxScopeBytes is refused with kScopeTooLarge. JS keeps a
// read-only mirror of each scope's values, so a scope still reachable from
// JS whose slot was reused is simply made again from that mirror.
//
// Each stored scope is its entries (u8 field index, u8 type, u32 LE length,
// payload: UTF-8 text, decimal ASCII for integers, "0"/"1" for booleans), in
// field order, set fields only. Its canonical JSON is written from them when
// asked for (Json); the size rule counts it all the same (kMaxScopeBytes).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fields.h"
#include "request_id.h"
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
constexpr size_t kSlotCount = 16384;
constexpr size_t kStoreBytes = size_t{3} << 19;       // the store's byte budget: 1.5 MiB
constexpr size_t kMaxScopeBytes = size_t{288} << 10;  // one scope: entries + JSON (two 64 KiB values fit)
// A scope's JSON is at least as long as its entries less one byte per
// field, so entries past this make the scope too large whatever its JSON.
constexpr size_t kMaxScopeEntryBytes = kMaxScopeBytes / 2 + 64;

// Kinds of a change entry (the u8 after the field index in Create's input).
constexpr uint8_t kChangeUnset = 0xFF;       // the field is unset in the child
constexpr uint8_t kChangeFreshRequestId = 0xFE;  // a request id generated here
// An id of the issued block (generateRequestId()'s ids, see IssueIds):
// payload u32 LE index, u32 LE generation; the block must still be current.
constexpr uint8_t kChangeIssuedRequestId = 0xFD;
constexpr size_t kIssuedIdPayloadBytes = 8;

struct CreateResult {
  uint64_t handle = 0;
  int bad_field = -1;      // field index of the refused change, or -1
  uint32_t bad_cp = 0;     // the refused code point (kControlChar, kForbiddenChar)
  // The id made for a kChangeFreshRequestId entry: 32 characters inside the
  // store's id pool (valid until the pool refills), its index there and the
  // pool's generation.
  const char* request_id = nullptr;
  uint32_t request_id_index = 0;
  uint32_t request_id_generation = 0;
  // The handle is a scope made before under the same parent, the same child
  // byte for byte (see Create): callers that remember children by their
  // input (js/core/child-memo.js) remember this one now.
  bool repeated = false;
};

// How many of a parent's latest children Create compares a new child with.
constexpr size_t kRecentChildren = 2;

class ScopeStore {
 public:
  explicit ScopeStore(const FieldRegistry& registry);

  // Makes the child of `parent` (0: the empty root) with `changes` applied:
  // a sequence of entries as stored (u8 field index, u8 kind, u32 LE length,
  // payload), where kind is the field's type, kChangeUnset (length 0) or
  // kChangeFreshRequestId (length 0, string fields) or kChangeIssuedRequestId
  // (an id of the issued block, string fields). Every change is
  // validated (string limit: max_value_bytes, 0 = the registry's) before
  // anything is stored; one field given twice is kDuplicateField. Inherited
  // values are copied, not checked again.
  //
  // A child equal to one of the kRecentChildren made last under the same
  // parent (the same entries, byte for byte) is not stored again: its
  // handle is answered, with out->repeated. A child given a request id of
  // the core's (fresh or issued) is new by construction: neither compared
  // nor counted among the latest, so it pushes none of them out.
  Status Create(uint64_t parent, const uint8_t* changes, size_t len, size_t max_value_bytes,
                CreateResult* out);

  // Canonical JSON of the scope's set fields, in registry order, into *out.
  Status Json(uint64_t handle, std::string* out) const;
  // The scope's values by field index (resized to the registry).
  Status Values(uint64_t handle, std::vector<FieldValue>* out) const;
  // Frees the slot now (its bytes are reused when the ring reaches them).
  Status Release(uint64_t handle);

  // The block fresh request ids are taken from (RequestIdPool::kBytes).
  const char* id_pool() const { return ids_.data(); }
  // generateRequestId()'s ids: a new block of RequestIdPool::kIds in
  // issued_pool(), read by JS and handed out there; a scope given one of
  // them (kChangeIssuedRequestId) copies it from here instead of JS writing
  // its 32 characters in. Returns the block's generation, 0 on failure.
  uint32_t IssueIds() { return issued_.Refill(); }
  const char* issued_pool() const { return issued_.data(); }

  size_t live() const { return live_; }
  size_t bytes_used() const { return used_; }

 private:
  struct Slot {
    uint64_t generation = 1;
    bool live = false;
    bool holds = false;  // occupies arena bytes (until evicted)
    uint32_t offset = 0;
    uint32_t entries_len = 0;
    // Slot indexes of the latest children made under this scope (newest
    // first; kNoChild: none). Indexes only: a child is found again by its
    // slot being live with the same entries, whatever its generation.
    uint16_t recent_children[kRecentChildren] = {kNoChild, kNoChild};
  };
  // The latest children sit in what was padding: kSlotCount slots stay the
  // 384 KiB docs/boundary.md budgets.
  static_assert(sizeof(Slot) == 24, "a slot grew past 24 bytes: update the byte budget");
  static constexpr uint16_t kNoChild = 0xFFFF;
  const Slot* Lookup(uint64_t handle) const;
  // The handle of a live scope among `recent` whose entries are the child's
  // just built (child_data_, entries_len), or 0.
  uint64_t RecentChild(const uint16_t* recent, size_t entries_len) const;
  // Room for `size` bytes after the newest scope, evicting the oldest; the
  // returned slot index is the ring's next one.
  bool Allocate(size_t size, size_t* slot_index, uint32_t* offset);
  void Evict(size_t index);
  // The length of the canonical JSON of `len` bytes of entries, and the
  // JSON itself (JsonBytes(entries, len) bytes at out).
  size_t JsonBytes(const uint8_t* entries, size_t len) const;
  size_t WriteJson(const uint8_t* entries, size_t len, char* out) const;
  Status Build(const uint8_t* parent, size_t parent_len, const uint8_t* changes, size_t len,
               size_t max_bytes, CreateResult* out, size_t* entries_len);

  const FieldRegistry& registry_;
  std::unique_ptr<uint8_t[]> arena_;
  std::unique_ptr<Slot[]> slots_;
  // Checks the size of the child's `entries_len` bytes at child_data_.
  Status Finish(size_t entries_len, size_t nfields, size_t* entries_out);

  std::unique_ptr<uint8_t[]> child_;  // the child being built (kScratchBytes)
  const uint8_t* child_data_ = nullptr;  // the child's entries: child_, or the changes as they are
  RequestIdPool ids_;
  RequestIdPool issued_;
  size_t child_len_ = 0;
  bool child_has_core_id_ = false;  // the child being built has a fresh or issued id
  uint16_t root_children_[kRecentChildren] = {kNoChild, kNoChild};  // the root's latest children
  size_t next_ = 0;    // next slot of the ring
  size_t oldest_ = 0;  // oldest slot holding bytes (== next_ when none)
  size_t holding_ = 0; // slots holding bytes
  size_t head_ = 0;    // arena offset after the newest scope
  size_t used_ = 0;    // arena bytes held
  size_t live_ = 0;
};

}  // namespace mellea

#include "scope_store.h"

#include <charconv>
#include <cstring>

#include "json_string.h"
#include "request_id.h"

namespace mellea {

namespace {

constexpr uint64_t kIndexBits = 16;
constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1;
constexpr uint64_t kMaxGeneration = (uint64_t{1} << 37) - 1;
constexpr size_t kEntryHeader = 6;
// While a child's entries are written (each field once, from the changes or
// the parent) they are at most a parent's (kMaxScopeEntryBytes) plus the
// changes (at most kMaxChangeBytes) plus a generated id per field. See Build.
constexpr size_t kMaxChangeBytes = kMaxScopeEntryBytes + 8192;
constexpr size_t kScratchBytes = kMaxScopeEntryBytes + kMaxChangeBytes + kMaxFields * (kEntryHeader + kRequestIdChars);
static_assert(kSlotCount <= (size_t{1} << kIndexBits), "slot index must fit the handle");
static_assert(kSlotCount < 0xFFFF, "a slot index must fit recent_children, beside kNoChild");

uint32_t ReadU32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

void WriteU32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// memcpy for the entries of a scope, which are mostly a few dozen bytes: up
// to 256 bytes by 8-byte words inline (the last word overlapping), longer
// ones by memcpy. In wasm, memcpy is a call into libc's byte-and-word loop:
// copying a one-field scope's 29 bytes that way was about a fifth of a
// fresh scope's time in the core, and a session with an inbound id (67
// bytes, over the 64 this loop first took) still showed libc's memcpy at
// 5.5% of the whole withContext (a --profiling-funcs build under Node's
// --cpu-prof, bench/core.bench.mjs's fresh-session cases).
void CopyEntries(uint8_t* dst, const uint8_t* src, size_t n) {
  if (n > 256 || n < 8) {
    std::memcpy(dst, src, n);
    return;
  }
  uint64_t w;
  for (size_t i = 0; i + 8 < n; i += 8) {
    std::memcpy(&w, src + i, 8);
    std::memcpy(dst + i, &w, 8);
  }
  std::memcpy(&w, src + n - 8, 8);
  std::memcpy(dst + n - 8, &w, 8);
}

// The id a kChangeIssuedRequestId payload names, or nullptr.
const char* IssuedId(const RequestIdPool& issued, std::string_view payload) {
  if (payload.size() != kIssuedIdPayloadBytes) return nullptr;
  const auto* p = reinterpret_cast<const uint8_t*>(payload.data());
  return issued.At(ReadU32(p), ReadU32(p + 4));
}

Status CheckChange(const FieldRegistry& registry, const RequestIdPool& issued, size_t index, uint8_t kind,
                   std::string_view payload, size_t max_bytes, uint32_t* bad_cp) {
  const FieldSpec& spec = registry.at(index);
  if (kind == kChangeUnset) return payload.empty() ? Status::kOk : Status::kMalformed;
  if (kind == kChangeFreshRequestId) {
    if (spec.type != FieldType::kString) return Status::kWrongType;
    return payload.empty() ? Status::kOk : Status::kMalformed;
  }
  if (kind == kChangeIssuedRequestId) {
    // A value like any other once given (unlike a fresh id, which is always
    // whole): the string limit applies; the ids are valid by construction.
    if (spec.type != FieldType::kString) return Status::kWrongType;
    if (IssuedId(issued, payload) == nullptr) return Status::kMalformed;
    return kRequestIdChars > max_bytes ? Status::kTooLong : Status::kOk;
  }
  if (static_cast<uint8_t>(spec.type) != kind) return Status::kWrongType;
  switch (spec.type) {
    case FieldType::kString:
      return ValidateStringValue(payload, max_bytes, bad_cp);
    case FieldType::kInteger: {
      int64_t v = 0;
      const char* first = payload.data();
      const char* last = first + payload.size();
      if (payload.empty() || payload.size() > 20) return Status::kMalformed;
      auto [ptr, ec] = std::from_chars(first, last, v);
      if (ec != std::errc() || ptr != last) return Status::kMalformed;
      // Canonical decimal only: the payload is copied into the JSON as it
      // is, and "007" or "-0" would make it invalid JSON (found by
      // fuzz/field_value_fuzzer.cpp; JS always sends canonical text).
      char canonical[24];
      const auto written = std::to_chars(canonical, canonical + sizeof(canonical), v);
      if (std::string_view(canonical, static_cast<size_t>(written.ptr - canonical)) != payload) return Status::kMalformed;
      return registry.ValidateInteger(index, v);
    }
    case FieldType::kBoolean:
      return payload == "1" || payload == "0" ? Status::kOk : Status::kMalformed;
  }
  return Status::kMalformed;
}

// Whether the n bytes at a and b are the same. The last eight first: a new
// value (a session, an id) differs from the latest children's there almost
// always, and one 8-byte compare is cheaper than memcmp's byte loop in wasm
// (which cost a fresh scope 30-75 ns with two latest children of the same
// length, compared from their start).
bool SameEntries(const uint8_t* a, const uint8_t* b, size_t n) {
  if (n >= 8) {
    uint64_t x = 0;
    uint64_t y = 0;
    std::memcpy(&x, a + n - 8, 8);
    std::memcpy(&y, b + n - 8, 8);
    if (x != y) return false;
  }
  return n == 0 || std::memcmp(a, b, n) == 0;
}

}  // namespace

ScopeStore::ScopeStore(const FieldRegistry& registry)
    : registry_(registry),
      arena_(new uint8_t[kStoreBytes]),
      slots_(new Slot[kSlotCount]),
      child_(new uint8_t[kScratchBytes]) {}

void ScopeStore::Evict(size_t index) {
  Slot& slot = slots_[index];
  if (slot.live) {
    slot.live = false;
    --live_;
    slot.generation = slot.generation == kMaxGeneration ? 1 : slot.generation + 1;
  }
  if (slot.holds) {
    slot.holds = false;
    used_ -= slot.entries_len;
    --holding_;
  }
}

bool ScopeStore::Allocate(size_t size, size_t* slot_index, uint32_t* offset) {
  if (size > kStoreBytes) return false;
  // The ring of slots is the ring of bytes: slot next_ gets the bytes after
  // the newest scope; the oldest scopes give way, in order.
  if (holding_ == kSlotCount) {
    Evict(oldest_);
    oldest_ = (oldest_ + 1) % kSlotCount;
  }
  for (;;) {
    if (holding_ == 0) {
      head_ = 0;
      oldest_ = next_;
      break;
    }
    const size_t tail = slots_[oldest_].offset;
    if (head_ > tail) {  // bytes held in [tail, head_)
      if (kStoreBytes - head_ >= size) break;
      if (tail >= size) {
        head_ = 0;  // wrap: the bytes after head_ stay unused this round
        break;
      }
    } else if (tail - head_ >= size) {  // held in [tail, end) and [0, head_)
      break;
    }
    Evict(oldest_);
    oldest_ = (oldest_ + 1) % kSlotCount;
  }
  *slot_index = next_;
  *offset = static_cast<uint32_t>(head_);
  next_ = (next_ + 1) % kSlotCount;
  head_ += size;
  return true;
}

Status ScopeStore::Build(const uint8_t* parent, size_t parent_len, const uint8_t* changes, size_t len,
                         size_t max_bytes, CreateResult* out, size_t* entries_out) {
  const size_t nfields = registry_.size();
  // Where each change's entry is: read only for the fields `seen` names, so
  // nothing is cleared per scope (clearing tables of kMaxFields pointers was
  // about a tenth of a scope's time in wasm, memset being a call there).
  const uint8_t* change_at[kMaxFields];
  uint64_t seen = 0;
  // The changes are the child's entries as they are when the parent is the
  // root and they set plain values in field order: the common new scope
  // (`withContext({ sessionId })`) is then stored by one copy, not built.
  bool as_is = parent_len == 0;
  child_has_core_id_ = false;
  size_t last_index = 0;
  for (size_t pos = 0; pos < len;) {
    if (len - pos < kEntryHeader) return Status::kMalformed;
    const size_t index = changes[pos];
    const uint8_t kind = changes[pos + 1];
    const size_t plen = ReadU32(changes + pos + 2);
    if (plen > len - pos - kEntryHeader) return Status::kMalformed;
    if (index >= nfields) return Status::kUnknownField;
    out->bad_field = static_cast<int>(index);
    if (seen >> index & 1) return Status::kDuplicateField;
    const std::string_view payload(reinterpret_cast<const char*>(changes + pos + kEntryHeader), plen);
    const Status s = CheckChange(registry_, issued_, index, kind, payload, max_bytes, &out->bad_cp);
    if (s != Status::kOk) return s;
    if (kind > static_cast<uint8_t>(FieldType::kBoolean) || (seen != 0 && index < last_index)) as_is = false;
    if (kind == kChangeFreshRequestId || kind == kChangeIssuedRequestId) child_has_core_id_ = true;
    seen |= uint64_t{1} << index;
    last_index = index;
    change_at[index] = changes + pos;
    pos += kEntryHeader + plen;
  }
  if (len > kMaxChangeBytes) return Status::kScopeTooLarge;
  out->bad_field = -1;
  if (as_is) {
    child_data_ = len == 0 ? child_.get() : changes;  // (no changes: nothing to copy, but never from null)
    return Finish(len, nfields, entries_out);
  }
  // Entries in field order: the parent's (already in field order) with the
  // changed fields' entries in their place.
  uint8_t* w = child_.get();
  uint64_t pending = seen;  // changed fields not written yet
  size_t pos = 0;
  for (;;) {
    const bool parent_left = pos + kEntryHeader <= parent_len;
    const size_t parent_index = parent_left ? parent[pos] : kMaxFields;
    // Changes before the parent's next entry (or all that are left).
    while (pending != 0 && static_cast<size_t>(__builtin_ctzll(pending)) <= parent_index) {
      const size_t i = static_cast<size_t>(__builtin_ctzll(pending));
      pending &= pending - 1;
      const uint8_t* e = change_at[i];
      if (e[1] == kChangeUnset) continue;
      if (e[1] == kChangeFreshRequestId || e[1] == kChangeIssuedRequestId) {
        // An id of the core's: stored as a plain string entry. A generated id
        // is always whole: it is valid by construction, and a cut id
        // (configure({ maxValueBytes: 4 })) would repeat within hundreds of
        // requests. The scope's limit covers it (see the JS mirror); an issued
        // one was checked against the limit above, like any value.
        const char* id = nullptr;
        if (e[1] == kChangeFreshRequestId) {
          id = out->request_id = ids_.Take(&out->request_id_index, &out->request_id_generation);
          if (id == nullptr) return Status::kNoMemory;
        } else {
          id = IssuedId(issued_, std::string_view(reinterpret_cast<const char*>(e + kEntryHeader), ReadU32(e + 2)));
        }
        w[0] = static_cast<uint8_t>(i);
        w[1] = static_cast<uint8_t>(FieldType::kString);
        WriteU32(w + 2, static_cast<uint32_t>(kRequestIdChars));
        std::memcpy(w + kEntryHeader, id, kRequestIdChars);
        w += kEntryHeader + kRequestIdChars;
        continue;
      }
      const size_t n = kEntryHeader + ReadU32(e + 2);
      std::memcpy(w, e, n);
      w += n;
    }
    if (!parent_left) break;
    const size_t n = kEntryHeader + ReadU32(parent + pos + 2);
    if (parent_index < nfields && !(seen >> parent_index & 1)) {
      std::memcpy(w, parent + pos, n);
      w += n;
    }
    pos += n;
  }
  child_data_ = child_.get();
  return Finish(static_cast<size_t>(w - child_.get()), nfields, entries_out);
}

Status ScopeStore::Finish(size_t entries_len, size_t nfields, size_t* entries_out) {
  if (entries_len > kMaxScopeEntryBytes) return Status::kScopeTooLarge;
  // A scope's size is its entries plus its JSON (kMaxScopeBytes), though
  // the JSON is written only when asked for (Json): writing it with every
  // scope was a fifth of a fresh scope's time in wasm, and most scopes are
  // never serialized. It is at most 2 + per field (name + 4) + 2 * payload
  // bytes, so it is measured only when that bound could pass the limit.
  child_len_ = entries_len;
  if (3 * entries_len + 2 + nfields * (kMaxFieldNameBytes + 4) > kMaxScopeBytes &&
      entries_len + JsonBytes(child_data_, entries_len) > kMaxScopeBytes) {
    return Status::kScopeTooLarge;
  }
  *entries_out = entries_len;
  return Status::kOk;
}

size_t ScopeStore::JsonBytes(const uint8_t* entries, size_t len) const {
  size_t n = 2;
  for (const uint8_t* e = entries; e < entries + len;) {
    const size_t plen = ReadU32(e + 2);
    const uint8_t* payload = e + kEntryHeader;
    n += (n > 2 ? 1 : 0) + registry_.at(e[0]).name.size() + 3;
    switch (static_cast<FieldType>(e[1])) {
      case FieldType::kString:
        n += 2 + plen;
        for (size_t i = 0; i < plen; ++i) n += payload[i] == '"' || payload[i] == '\\' ? 1 : 0;
        break;
      case FieldType::kInteger:
        n += plen;
        break;
      case FieldType::kBoolean:
        n += payload[0] == '1' ? 4 : 5;
        break;
    }
    e += kEntryHeader + plen;
  }
  return n;
}

size_t ScopeStore::WriteJson(const uint8_t* entries, size_t len, char* out) const {
  // Values passed the value rules (no control characters): only '"' and
  // '\\' are escaped, by the one JSON string writer.
  char* j = out;
  *j++ = '{';
  for (const uint8_t* e = entries; e < entries + len;) {
    const size_t plen = ReadU32(e + 2);
    const std::string& name = registry_.at(e[0]).name;  // [a-z0-9_]: nothing to escape
    if (j != out + 1) *j++ = ',';
    *j++ = '"';
    std::memcpy(j, name.data(), name.size());
    j += name.size();
    *j++ = '"';
    *j++ = ':';
    const char* payload = reinterpret_cast<const char*>(e + kEntryHeader);
    switch (static_cast<FieldType>(e[1])) {
      case FieldType::kString:
        j += WriteJsonString(std::string_view(payload, plen), j);
        break;
      case FieldType::kInteger:
        std::memcpy(j, payload, plen);  // canonical: from_chars accepted it
        j += plen;
        break;
      case FieldType::kBoolean: {
        const char* text = payload[0] == '1' ? "true" : "false";
        const size_t tn = payload[0] == '1' ? 4 : 5;
        std::memcpy(j, text, tn);
        j += tn;
        break;
      }
    }
    e += kEntryHeader + plen;
  }
  *j++ = '}';
  return static_cast<size_t>(j - out);
}

Status ScopeStore::Create(uint64_t parent, const uint8_t* changes, size_t len, size_t max_value_bytes,
                          CreateResult* out) {
  out->bad_field = -1;
  out->bad_cp = 0;
  size_t max_bytes = max_value_bytes == 0 ? registry_.max_value_bytes() : max_value_bytes;
  if (max_bytes > kMaxValueBytesLimit) max_bytes = kMaxValueBytesLimit;
  const uint8_t* parent_entries = nullptr;
  size_t parent_len = 0;
  if (parent != 0) {
    const Slot* p = Lookup(parent);
    if (p == nullptr) return Status::kStaleHandle;
    parent_entries = arena_.get() + p->offset;
    parent_len = p->entries_len;
  }
  // Built in scratch first: making room may evict the parent itself.
  size_t entries_len = 0;
  const Status s = Build(parent_entries, parent_len, changes, len, max_bytes, out, &entries_len);
  if (s != Status::kOk) return s;
  out->repeated = false;
  if (!child_has_core_id_) {
    const uint16_t* recent = parent == 0 ? root_children_ : slots_[parent & kIndexMask].recent_children;
    if (const uint64_t known = RecentChild(recent, entries_len)) {
      out->handle = known;
      out->repeated = true;
      return Status::kOk;
    }
  }
  size_t index = 0;
  uint32_t offset = 0;
  if (!Allocate(child_len_, &index, &offset)) return Status::kNoMemory;
  CopyEntries(arena_.get() + offset, child_data_, child_len_);
  Slot& slot = slots_[index];
  if (slot.live || slot.holds) Evict(index);  // only after a Release, never a live scope
  slot.live = true;
  slot.holds = true;
  slot.offset = offset;
  slot.entries_len = static_cast<uint32_t>(entries_len);
  for (uint16_t& child : slot.recent_children) child = kNoChild;
  ++live_;
  ++holding_;
  used_ += child_len_;
  out->handle = (slot.generation << kIndexBits) | index;
  // Counted among the parent's latest, if making room left the parent stored.
  if (!child_has_core_id_ && (parent == 0 || Lookup(parent) != nullptr)) {
    uint16_t* recent = parent == 0 ? root_children_ : slots_[parent & kIndexMask].recent_children;
    for (size_t k = kRecentChildren - 1; k > 0; --k) recent[k] = recent[k - 1];
    recent[0] = static_cast<uint16_t>(index);
  }
  return Status::kOk;
}

uint64_t ScopeStore::RecentChild(const uint16_t* recent, size_t entries_len) const {
  for (size_t k = 0; k < kRecentChildren; ++k) {
    const size_t index = recent[k];
    if (index >= kSlotCount) continue;
    const Slot& slot = slots_[index];
    if (slot.live && slot.entries_len == entries_len && SameEntries(arena_.get() + slot.offset, child_data_, entries_len)) {
      return (slot.generation << kIndexBits) | index;
    }
  }
  return 0;
}

const ScopeStore::Slot* ScopeStore::Lookup(uint64_t handle) const {
  const uint64_t index = handle & kIndexMask;
  if (index >= kSlotCount) return nullptr;
  const Slot& slot = slots_[index];
  if (!slot.live || slot.generation != (handle >> kIndexBits)) return nullptr;
  return &slot;
}

Status ScopeStore::Json(uint64_t handle, std::string* out) const {
  const Slot* slot = Lookup(handle);
  if (slot == nullptr) return Status::kStaleHandle;
  const uint8_t* entries = arena_.get() + slot->offset;
  out->resize(JsonBytes(entries, slot->entries_len));
  const size_t n = WriteJson(entries, slot->entries_len, &(*out)[0]);
  out->resize(n);  // the same length: JsonBytes counts what WriteJson writes
  return Status::kOk;
}

Status ScopeStore::Values(uint64_t handle, std::vector<FieldValue>* out) const {
  const Slot* slot = Lookup(handle);
  if (slot == nullptr) return Status::kStaleHandle;
  out->resize(registry_.size());
  for (FieldValue& v : *out) v.set = false;
  const uint8_t* e = arena_.get() + slot->offset;
  const uint8_t* end = e + slot->entries_len;
  while (e < end) {
    const size_t plen = ReadU32(e + 2);
    const size_t index = e[0];
    if (index < out->size()) {
      FieldValue& v = (*out)[index];
      v.set = true;
      v.type = static_cast<FieldType>(e[1]);
      const char* payload = reinterpret_cast<const char*>(e + kEntryHeader);
      if (v.type == FieldType::kString) {
        v.text.assign(payload, plen);
      } else if (v.type == FieldType::kInteger) {
        std::from_chars(payload, payload + plen, v.integer);
      } else {
        v.integer = payload[0] == '1' ? 1 : 0;
      }
    }
    e += kEntryHeader + plen;
  }
  return Status::kOk;
}

Status ScopeStore::Release(uint64_t handle) {
  if (Lookup(handle) == nullptr) return Status::kStaleHandle;
  Slot& slot = slots_[handle & kIndexMask];
  slot.live = false;
  slot.generation = slot.generation == kMaxGeneration ? 1 : slot.generation + 1;
  --live_;
  return Status::kOk;
}

}  // namespace mellea

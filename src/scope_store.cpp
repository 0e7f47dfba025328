#include "scope_store.h"

#include <charconv>

namespace mellea {

namespace {

constexpr uint64_t kIndexBits = 16;
constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1;
constexpr uint64_t kMaxGeneration = (uint64_t{1} << 37) - 1;

uint32_t ReadU32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

Status ParseValue(const FieldRegistry& registry, size_t index, uint8_t type, std::string_view payload,
                  size_t max_bytes, FieldValue* out) {
  const FieldSpec& spec = registry.at(index);
  if (static_cast<uint8_t>(spec.type) != type) return Status::kWrongType;
  out->set = true;
  out->type = spec.type;
  switch (spec.type) {
    case FieldType::kString: {
      const Status s = ValidateStringValue(payload, max_bytes);
      if (s != Status::kOk) return s;
      out->text.assign(payload.data(), payload.size());
      return Status::kOk;
    }
    case FieldType::kInteger: {
      int64_t v = 0;
      const char* first = payload.data();
      const char* last = first + payload.size();
      if (payload.empty() || payload.size() > 20) return Status::kMalformed;
      auto [ptr, ec] = std::from_chars(first, last, v);
      if (ec != std::errc() || ptr != last) return Status::kMalformed;
      const Status s = registry.ValidateInteger(index, v);
      if (s != Status::kOk) return s;
      out->integer = v;
      return Status::kOk;
    }
    case FieldType::kBoolean:
      if (payload == "1") {
        out->integer = 1;
      } else if (payload == "0") {
        out->integer = 0;
      } else {
        return Status::kMalformed;
      }
      return Status::kOk;
  }
  return Status::kMalformed;
}

}  // namespace

void AppendScopeJson(const FieldRegistry& registry, const std::vector<FieldValue>& values, JsonWriter* w) {
  w->Raw("{");
  bool first = true;
  for (size_t i = 0; i < values.size(); ++i) {
    const FieldValue& v = values[i];
    if (!v.set) continue;
    w->Raw(first ? "\"" : ",\"");
    first = false;
    w->Raw(registry.at(i).name);  // names match ^[a-z][a-z0-9_]*$: nothing to escape
    w->Raw("\":");
    switch (v.type) {
      case FieldType::kString:
        w->String(v.text);
        break;
      case FieldType::kInteger:
        w->Integer(v.integer);
        break;
      case FieldType::kBoolean:
        w->Boolean(v.integer != 0);
        break;
    }
  }
  w->Raw("}");
}

std::string ScopeJson(const FieldRegistry& registry, const std::vector<FieldValue>& values) {
  JsonWriter w;
  AppendScopeJson(registry, values, &w);
  return std::move(w.out());
}

ScopeStore::ScopeStore(const FieldRegistry& registry, size_t capacity) : registry_(registry) {
  if (capacity < 1) capacity = 1;
  if (capacity > kMaxCapacity) capacity = kMaxCapacity;
  slots_.resize(capacity);
}

size_t ScopeStore::TakeSlot() {
  if (!free_.empty()) {
    const size_t index = free_.back();
    free_.pop_back();
    return index;
  }
  // Reuse a slot round-robin. Unused slots come first because the table is
  // filled in index order before the clock ever wraps.
  const size_t index = clock_;
  clock_ = (clock_ + 1) % slots_.size();
  Slot& slot = slots_[index];
  if (slot.live) {
    slot.live = false;
    --live_;
    slot.generation = slot.generation == kMaxGeneration ? 1 : slot.generation + 1;
  }
  return index;
}

Status ScopeStore::Create(const uint8_t* data, size_t len, uint64_t* handle_out, int* bad_field,
                          size_t max_value_bytes) {
  *bad_field = -1;
  size_t max_bytes = max_value_bytes == 0 ? registry_.max_value_bytes() : max_value_bytes;
  if (max_bytes > kMaxValueBytesLimit) max_bytes = kMaxValueBytesLimit;
  std::vector<FieldValue> values(registry_.size());
  size_t pos = 0;
  while (pos < len) {
    if (len - pos < 6) return Status::kMalformed;
    const size_t index = data[pos];
    const uint8_t type = data[pos + 1];
    const size_t plen = ReadU32(data + pos + 2);
    pos += 6;
    if (plen > len - pos) return Status::kMalformed;
    if (index >= registry_.size()) return Status::kUnknownField;
    *bad_field = static_cast<int>(index);
    if (values[index].set) return Status::kDuplicateField;
    const std::string_view payload(reinterpret_cast<const char*>(data + pos), plen);
    const Status s = ParseValue(registry_, index, type, payload, max_bytes, &values[index]);
    if (s != Status::kOk) return s;
    pos += plen;
  }
  *bad_field = -1;
  const size_t index = TakeSlot();
  Slot& slot = slots_[index];
  writer_.out().clear();
  AppendScopeJson(registry_, values, &writer_);
  slot.json.assign(writer_.out());
  std::swap(slot.values, values);
  slot.live = true;
  ++live_;
  *handle_out = (slot.generation << kIndexBits) | index;
  return Status::kOk;
}

const ScopeStore::Slot* ScopeStore::Lookup(uint64_t handle) const {
  const uint64_t index = handle & kIndexMask;
  if (index >= slots_.size()) return nullptr;
  const Slot& slot = slots_[index];
  if (!slot.live || slot.generation != (handle >> kIndexBits)) return nullptr;
  return &slot;
}

Status ScopeStore::Json(uint64_t handle, std::string_view* out) const {
  const Slot* slot = Lookup(handle);
  if (slot == nullptr) return Status::kStaleHandle;
  *out = slot->json;
  return Status::kOk;
}

Status ScopeStore::Get(uint64_t handle, size_t field, const FieldValue** out) const {
  const Slot* slot = Lookup(handle);
  if (slot == nullptr) return Status::kStaleHandle;
  if (field >= registry_.size()) return Status::kUnknownField;
  static const FieldValue kUnset;
  *out = field < slot->values.size() ? &slot->values[field] : &kUnset;
  return Status::kOk;
}

const std::vector<FieldValue>* ScopeStore::Values(uint64_t handle) const {
  const Slot* slot = Lookup(handle);
  return slot == nullptr ? nullptr : &slot->values;
}

Status ScopeStore::Release(uint64_t handle) {
  const Slot* found = Lookup(handle);
  if (found == nullptr) return Status::kStaleHandle;
  const size_t index = handle & kIndexMask;
  Slot& slot = slots_[index];
  slot.live = false;
  slot.values.clear();
  slot.values.shrink_to_fit();
  std::string().swap(slot.json);
  slot.generation = slot.generation == kMaxGeneration ? 1 : slot.generation + 1;
  --live_;
  free_.push_back(static_cast<uint32_t>(index));
  return Status::kOk;
}

}  // namespace mellea

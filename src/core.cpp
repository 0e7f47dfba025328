#include "core.h"

#include <cstring>

#include "json_string.h"
#include "request_id.h"
#include "text_value.h"

namespace mellea {

Core::Core() : store_(registry_), in_(new uint8_t[kInputBytes]) {
  out_.reserve(kOutputBytes);
  values_.reserve(kMaxFields);
  out_ptr_ = out_.data();
}

Status Core::WriteOut(const char* bytes, size_t n, size_t* len) {
  if (n > kOutputBytes) return Status::kNoMemory;
  out_.assign(bytes, n);
  return FinishOut(len);
}

Status Core::FinishOut(size_t* len) {
  PointOut(out_.data(), out_.size());
  *len = out_.size();
  return Status::kOk;
}

Status Core::CreateScope(uint64_t parent, size_t in_len, size_t max_value_bytes, CreateResult* out) {
  if (in_len > kInputBytes) return Status::kTooLarge;
  return store_.Create(parent, in_.get(), in_len, max_value_bytes, out);
}

Status Core::CreateScope(size_t in_len, uint64_t* handle, int* bad_field) {
  CreateResult r;
  const Status s = CreateScope(0, in_len, 0, &r);
  *handle = r.handle;
  *bad_field = r.bad_field;
  return s;
}

Status Core::ScopeJsonOut(uint64_t handle, size_t* len) {
  const Status s = store_.Json(handle, &out_);
  if (s != Status::kOk) return s;
  return FinishOut(len);
}

const std::vector<FieldValue>* Core::ValuesOf(uint64_t handle) {
  return store_.Values(handle, &values_) == Status::kOk ? &values_ : nullptr;
}

Status Core::DefineField(size_t name_len, FieldType type, int* index) {
  if (name_len > kInputBytes) return Status::kTooLarge;
  return registry_.Define(std::string_view(reinterpret_cast<const char*>(in_.get()), name_len), type, index);
}

Status Core::TextValue(size_t in_len, bool inside_only, size_t* len) {
  if (in_len > kMaxRecordTextBytes) return Status::kTooLong;
  out_.resize(2 + kTextEscapeFactor * in_len);
  const std::string_view text(reinterpret_cast<const char*>(in_.get()), in_len);
  const size_t n = inside_only ? WriteQuotedTextInside(text, &out_[0]) : WriteTextValue(text, &out_[0]);
  PointOut(out_.data(), n);
  *len = n;
  return Status::kOk;
}

Status Core::EscapeText(size_t in_len, size_t* len) {
  if (in_len > kMaxRecordTextBytes) return Status::kTooLong;
  out_.resize(2 + kJsonEscapeFactor * in_len);
  const size_t n = WriteJsonString(std::string_view(reinterpret_cast<const char*>(in_.get()), in_len), &out_[0]);
  PointOut(out_.data() + 1, n - 2);
  *len = n - 2;
  return Status::kOk;
}

}  // namespace mellea

#include "core.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "request_id.h"

namespace mellea {

Core::~Core() { std::free(io_); }

uint8_t* Core::Reserve(size_t bytes) {
  if (bytes <= io_cap_) return io_;
  if (bytes > kMaxIoBytes) return nullptr;
  size_t cap = io_cap_ < 4096 ? 4096 : io_cap_;
  while (cap < bytes) cap *= 2;
  if (cap > kMaxIoBytes) cap = kMaxIoBytes;
  void* grown = std::realloc(io_, cap);
  if (grown == nullptr) return nullptr;
  io_ = static_cast<uint8_t*>(grown);
  io_cap_ = cap;
  return io_;
}

Status Core::WriteOut(const char* bytes, size_t n, size_t* len) {
  if (Reserve(n) == nullptr) return Status::kNoMemory;
  if (n > 0) std::memmove(io_, bytes, n);
  *len = n;
  return Status::kOk;
}

Status Core::CreateScope(size_t in_len, size_t max_value_bytes, uint64_t* handle, int* bad_field) {
  *bad_field = -1;
  if (in_len > io_cap_) return Status::kMalformed;
  const Status s = store_.Create(io_, in_len, handle, bad_field, max_value_bytes);
  if (s != Status::kOk) return s;
  std::string_view json;
  if (store_.Json(*handle, &json) != Status::kOk || Reserve(4 + json.size()) == nullptr) {
    // The scope is stored; only the courtesy copy of its JSON is missing.
    if (io_cap_ >= 4) std::memset(io_, 0, 4);
    return Status::kOk;
  }
  const uint32_t n = static_cast<uint32_t>(json.size());
  for (int i = 0; i < 4; ++i) io_[i] = static_cast<uint8_t>(n >> (8 * i));
  std::memcpy(io_ + 4, json.data(), json.size());
  return Status::kOk;
}

Status Core::ScopeJsonOut(uint64_t handle, size_t* len) {
  std::string_view json;
  const Status s = store_.Json(handle, &json);
  if (s != Status::kOk) return s;
  return WriteOut(json.data(), json.size(), len);
}

Status Core::ValidateString(size_t in_len) const {
  if (in_len > io_cap_) return Status::kMalformed;
  return ValidateStringValue(std::string_view(reinterpret_cast<const char*>(io_), in_len),
                             registry_.max_value_bytes());
}

Status Core::DefineField(size_t name_len, FieldType type, int* index) {
  if (name_len > io_cap_) return Status::kMalformed;
  return registry_.Define(std::string_view(reinterpret_cast<const char*>(io_), name_len), type, index);
}

Status Core::RequestIds(size_t count, size_t* len) {
  if (count == 0 || count > 1024) return Status::kInvalidOption;
  if (Reserve(count * kRequestIdChars) == nullptr) return Status::kNoMemory;
  if (!GenerateRequestIds(reinterpret_cast<char*>(io_), count)) return Status::kNoMemory;
  *len = count * kRequestIdChars;
  return Status::kOk;
}

}  // namespace mellea

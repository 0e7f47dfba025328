// One context core: the registry, the store and a byte buffer that carries
// every input and output across the wasm boundary. The bindings file only
// exposes these methods; everything here builds and tests natively.
#pragma once
#include <cstddef>
#include <cstdint>

#include "fields.h"
#include "scope_store.h"
#include "status.h"

namespace mellea {

// Largest buffer the boundary will allocate; bigger requests get kNoMemory
// rather than an abort that would leave the module unusable.
constexpr size_t kMaxIoBytes = size_t{256} << 20;

class Core {
 public:
  Core() : store_(registry_) {}
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // The I/O buffer: callers write inputs at data() and read outputs there.
  uint8_t* Reserve(size_t bytes);  // nullptr when it cannot grow
  uint8_t* data() { return io_; }
  size_t io_capacity() const { return io_cap_; }

  // Each returns a status; outputs go to the I/O buffer, their length to *len.
  // CreateScope also leaves the new scope's JSON in the I/O buffer as a u32
  // little-endian length and the bytes, so storing a scope and reading its
  // JSON is one crossing.
  Status CreateScope(size_t in_len, size_t max_value_bytes, uint64_t* handle, int* bad_field);
  Status CreateScope(size_t in_len, uint64_t* handle, int* bad_field) {
    return CreateScope(in_len, 0, handle, bad_field);
  }
  Status ScopeJsonOut(uint64_t handle, size_t* len);
  Status ReleaseScope(uint64_t handle) { return store_.Release(handle); }
  Status ValidateString(size_t in_len) const;
  Status DefineField(size_t name_len, FieldType type, int* index);
  Status RequestIds(size_t count, size_t* len);
  Status WriteOut(const char* bytes, size_t n, size_t* len);

  FieldRegistry& registry() { return registry_; }
  ScopeStore& store() { return store_; }

 private:
  FieldRegistry registry_;
  ScopeStore store_;
  uint8_t* io_ = nullptr;
  size_t io_cap_ = 0;
};

}  // namespace mellea

// Request ids: 16 bytes from the platform CSPRNG laid out as a UUID version 4
// and written as 32 lowercase hex characters, like Python's uuid.uuid4().hex.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mellea {

constexpr size_t kRequestIdChars = 32;

// Writes `count` ids back to back (32 * count chars, no separator) into out.
// Returns false when the platform could not supply random bytes.
bool GenerateRequestIds(char* out, size_t count);

// Ids made kIds at a time into one fixed block, handed out in order: a scope
// made with a fresh id takes the next one, and JS, which reads the block
// once per refill (a generation number tells it when), takes the id from
// its copy instead of decoding 32 bytes per scope (measured ~60 ns of a
// ~400 ns request scope in Node: bench/core.bench.mjs). The block is the
// ids as a JSON array of strings, ["...","..."]: JS parses it into one flat
// string per id, where slices of one decoded string were sliced strings,
// whose characters cost V8 more to read each time an id is written into a
// scope or a line (an id made earlier: ~85 ns more per scope on Node 20).
class RequestIdPool {
 public:
  static constexpr size_t kIds = 64;
  // Each id with its quotes and the comma after it.
  static constexpr size_t kStride = kRequestIdChars + 3;
  // '[' + the ids + ']' (the last one has no comma).
  static constexpr size_t kBytes = kIds * kStride + 1;

  RequestIdPool();
  // The next id (kRequestIdChars characters inside data()), with its index
  // in the block and the block's generation; nullptr without random bytes.
  const char* Take(uint32_t* index, uint32_t* generation);
  // A new block of kIds ids (the old ones are overwritten); its generation,
  // never 0, or 0 without random bytes.
  uint32_t Refill();
  // Id `index` of the block of `generation`, or nullptr when that block is
  // no longer the current one (or index is out of range).
  const char* At(uint32_t index, uint32_t generation) const;
  const char* data() const { return block_; }
  // Where id `index` starts in data().
  static constexpr size_t Offset(size_t index) { return 2 + kStride * index; }

 private:
  char block_[kBytes] = {};
  uint32_t next_ = kIds;
  uint32_t generation_ = 0;
};

}  // namespace mellea

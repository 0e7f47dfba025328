// Request ids: 16 bytes from the platform CSPRNG laid out as a UUID version 4
// and written as 32 lowercase hex characters, like Python's uuid.uuid4().hex.
#pragma once
#include <cstddef>

namespace mellea {

constexpr size_t kRequestIdChars = 32;

// Writes `count` ids back to back (32 * count chars, no separator) into out.
// Returns false when the platform could not supply random bytes.
bool GenerateRequestIds(char* out, size_t count);

}  // namespace mellea

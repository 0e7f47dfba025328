// formatRecord: one JSON log line in the shape of mellea's JsonFormatter,
//   {"timestamp":…,"level":…,"message":…,<scope fields>,"exception":…,<extra>}
// built without exceptions from untrusted bytes. Rules:
// - Text (timestamp, level, message, exception, extra) may hold any bytes:
//   ill-formed UTF-8 becomes U+FFFD, one per maximal subpart as TextDecoder
//   does, except that a WTF-8 surrogate (ED A0..BF 80..BF) becomes a single
//   U+FFFD as String.prototype.toWellFormed() would.
// - Strings are written by the core's one JSON string writer
//   (src/json_string.h): the same bytes as scope JSON and fragments.
// - The record's own keys win: timestamp, level, message always, exception
//   when one is given. Among the rest, caller fields (extra) win over scope
//   fields: a key is written once, at the extra's position.
// - extra must be a JSON object (JS JSON.stringify output). Anything else,
//   or nesting deeper than kMaxExtraDepth, is kept as the string
//   "extra_unparsed". Lone-surrogate escapes (\ud800) become \ufffd.
// - Redaction is per field index and applies to the field's key wherever it
//   appears (scope or extra): kHash writes the first 16 hex characters of
//   SHA-256 of the value's text (strings: their UTF-8; integers: decimal;
//   booleans: true/false; other JSON: compact JSON), e.g. Python's
//   hashlib.sha256(v.encode()).hexdigest()[:16]. It is unkeyed: it links
//   lines of one session without printing the id, but a guessable id can be
//   brute-forced. kOmit drops the key.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core.h"
#include "fields.h"
#include "json_string.h"
#include "scope_store.h"
#include "status.h"

namespace mellea {

enum class Redaction : uint8_t { kNone = 0, kHash = 1, kOmit = 2 };

constexpr size_t kRedactedHexChars = 16;
constexpr size_t kMaxExtraDepth = 64;  // bounds the writer's recursion in the 64 KiB wasm stack
// Record texts above kMaxRecordTextBytes in all are refused with kTooLong;
// the JS layer cuts them with a visible marker before they are copied.

struct RecordInput {
  std::string_view timestamp;
  std::string_view level;
  std::string_view message;
  std::string_view exception;  // empty: no "exception" key
  std::string_view extra;      // empty: no caller fields
  std::string_view redaction;  // byte i = Redaction of field i; missing bytes = kNone
};

// Wire encoding in the I/O buffer: six u32 little-endian lengths (timestamp,
// level, message, exception, extra, redaction), then those sections back to
// back. The lengths must add up to exactly len - kRecordHeaderBytes.
constexpr size_t kRecordHeaderBytes = 24;
Status DecodeRecordInput(const uint8_t* data, size_t len, RecordInput* out);

// Appends the line, without a trailing newline, to *out; scope may be null
// (no scope). Appends nothing on failure.
Status FormatRecord(const FieldRegistry& registry, const std::vector<FieldValue>* scope,
                    const RecordInput& in, std::string* out);

// The scope's set fields as `,"name":value` pairs (redaction applied, no
// braces, empty when none), for JS paths that cache one fragment per scope.
Status ScopeFragment(const FieldRegistry& registry, const std::vector<FieldValue>* scope,
                     std::string_view redaction, std::string* out);


// Core entry points, one boundary crossing each. Input at core.data(),
// output (the line, or the fragment) written there; handle 0 = no scope.
// Checks the handle first, so kStaleHandle comes before any other error.
Status FormatRecordIo(Core& core, uint64_t handle, size_t in_len, size_t* out_len);
Status ScopeFragmentIo(Core& core, uint64_t handle, size_t redaction_len, size_t* out_len);

}  // namespace mellea

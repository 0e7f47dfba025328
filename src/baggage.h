// W3C Baggage (https://www.w3.org/TR/baggage/) for the mellea.<field> members
// that carry a scope across services. Nothing here fails as a whole on
// hostile input: bad members are dropped and counted, good ones kept.
//
// Choices the spec leaves open:
// - Duplicate keys: the last well-formed member wins (as OpenTelemetry JS, Go
//   and Java do), keeping the position of the first; the earlier one counts
//   as dropped.
// - Properties are validated (key or key=value, tokens and baggage-octets)
//   and kept as raw text, so foreign members are re-sent unchanged apart from
//   OWS. A member with a malformed property is dropped whole, because its
//   properties would otherwise reach an outbound header unchecked.
// - Empty list entries (",,") are skipped without counting as drops.
// - Read limits: only the first 8192 bytes are parsed, cut after the last
//   member that ends within them, and at most 64 distinct members are kept.
// - Write limits: 64 members, 8192 bytes. The scope's own members go first
//   and take priority; any member that does not fit is left out whole.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core.h"
#include "fields.h"
#include "scope_store.h"
#include "status.h"

namespace mellea {

constexpr size_t kBaggageMaxMembers = 64;
constexpr size_t kBaggageMaxBytes = 8192;
constexpr std::string_view kBaggagePrefix = "mellea.";

struct BaggageMember {
  std::string key;         // RFC 7230 token, as received
  std::string raw_value;   // as received: baggage-octets, escapes checked
  std::string value;       // percent-decoded, well-formed UTF-8
  std::string properties;  // validated properties joined by ';' (no OWS), or ""
};

struct ParsedBaggage {
  std::vector<BaggageMember> members;
  size_t dropped = 0;  // malformed, superseded duplicates, or past the limits
};

ParsedBaggage ParseBaggage(std::string_view header);

// Decodes %XX escapes; false on a bad escape or a result that is not
// well-formed UTF-8.
bool PercentDecode(std::string_view in, std::string* out);
// Escapes every byte outside baggage-octet, and '%' itself.
std::string PercentEncode(std::string_view in);

// Fills values (resized to the registry) from the mellea.<field> members
// whose field exists and whose value passes the field rules: strings as
// ValidateStringValue, integers as decimal text in range, booleans as
// true/false. Returns how many mellea.* members were rejected.
size_t ExtractMelleaFields(const FieldRegistry& registry, const std::vector<BaggageMember>& members,
                           std::vector<FieldValue>* values);

// The header value for the set values (registry order) merged with the
// existing header: existing mellea.<field> members for fields set here are
// replaced, all other well-formed members kept.
std::string SerializeBaggage(const FieldRegistry& registry, const std::vector<FieldValue>& values,
                             std::string_view existing);

// Boundary entry points, both on the core's I/O buffer.
// BaggageExtract reads a header value of in_len bytes and writes the fields
// in ScopeStore::Create's encoding (u8 field index, u8 type, u32 LE length,
// payload), registry order, followed by a u32 LE count of dropped members.
Status BaggageExtract(Core& core, size_t in_len, size_t* out_len);
// BaggageInject reads the existing header value (existing_len bytes, may be
// 0) and writes the merged header value.
Status BaggageInject(Core& core, uint64_t handle, size_t existing_len, size_t* out_len);

}  // namespace mellea

// Status codes returned by the C++ core (src/status.h). The numbers are part
// of the boundary; tests/constants.test.mjs reads src/status.h and fails when
// this table and the header differ.
export const Status = Object.freeze({
  OK: 0,
  UNKNOWN_FIELD: 1,
  WRONG_TYPE: 2,
  EMPTY: 3,
  TOO_LONG: 4,
  CONTROL_CHAR: 5,
  INVALID_UTF8: 6,
  OUT_OF_RANGE: 7,
  INVALID_NAME: 8,
  TYPE_CONFLICT: 9,
  BUILTIN_NAME: 10,
  STALE_HANDLE: 11,
  MALFORMED: 12,
  DUPLICATE_FIELD: 13,
  TOO_MANY_FIELDS: 14,
  INVALID_OPTION: 15,
  NO_MEMORY: 16,
  FORBIDDEN_CHAR: 17,
  SCOPE_TOO_LARGE: 18,
  ALIAS_CLASH: 19,
  RESERVED_NAME: 20,
  TOO_LARGE: 21,
});

/** Change kinds of a scope creation (src/scope_store.h kChange*), besides the field types 0..2. */
export const CHANGE_UNSET = 0xff;
export const CHANGE_FRESH_REQUEST_ID = 0xfe;
export const CHANGE_ISSUED_REQUEST_ID = 0xfd;
/** src/scope_store.h kIssuedIdPayloadBytes: index and generation of an issued id, u32 LE each. */
export const ISSUED_ID_PAYLOAD_BYTES = 8;
/** src/text_changes.wat's answer for text it did not write (a lone surrogate, or text that may not fit the input area); tests/constants.test.mjs reads the .wat. */
export const TEXT_NOT_WRITTEN = -65536;
/** Field type codes (src/fields.h FieldType). */
export const TYPE_CODES = Object.freeze({ string: 0, integer: 1, boolean: 2 });
/** Redaction modes (src/record.h Redaction). */
export const Redaction = Object.freeze({ NONE: 0, HASH: 1, OMIT: 2 });
/** src/record.h kRecordHeaderBytes. */
export const RECORD_HEADER_BYTES = 24;
/** src/fields.h kMaxValueBytesLimit, kMaxFields, kDefaultMaxValueBytes. */
export const MAX_VALUE_BYTES_LIMIT = 65536;
export const MAX_FIELDS = 64;
export const DEFAULT_MAX_VALUE_BYTES = 256;
/** src/request_id.h kRequestIdChars. */
export const REQUEST_ID_CHARS = 32;
/** src/request_id.h RequestIdPool::kIds: fresh request ids the core makes at a time. */
export const ID_POOL_IDS = 64;
/** src/request_id.h RequestIdPool::kBytes: a block of ids, as the JSON array of them. */
export const ID_POOL_BYTES = ID_POOL_IDS * (REQUEST_ID_CHARS + 3) + 1;
/** src/scope_store.h kMaxScopeBytes, kStoreBytes, kSlotCount; src/core.h kInputBytes, kMaxRecordTextBytes. */
export const MAX_SCOPE_BYTES = 288 << 10;
export const STORE_BYTES = 3 << 19;
export const SLOT_COUNT = 16384;
export const INPUT_BYTES = 148 << 10;
export const RECORD_TEXT_BYTES = 64 << 10;

// One JSON log line from a record, built by the C++ core (src/record.h) in
// one crossing: mellea's JsonFormatter shape, the current scope's fields,
// redaction, and valid JSON whatever the texts hold.
import { internals } from '../node/runtime.js';
import { Status } from '../core/status.js';
import { EMPTY, fieldsOf, fragmentOf } from './scope-fields.js';

const { boundary, carrier, registry, isEmpty, withHandle } = internals;
const NO_BYTES = new Uint8Array(0);

// A defined field named like a record key is left out by the core
// (src/record.h); the fast path below cannot, so it steps aside then.
let reservedCheckedAt = -1;
let reservedDefined = false;
function reservedNamesDefined() {
  if (registry.fields.length !== reservedCheckedAt) {
    reservedCheckedAt = registry.fields.length;
    reservedDefined = ['timestamp', 'level', 'message', 'exception'].some((name) => registry.lookup(name)?.name === name);
  }
  return reservedDefined;
}
const RESERVED = new Set(['message', 'level', 'timestamp', 'error', 'exception']);
const hasOwn = Object.prototype.hasOwnProperty;
// The core takes at most 32 MiB of record text (src/record.h); above that,
// the texts are cut to 2 Mi characters each (at most 18 MiB of UTF-8 in all).
const TRUNCATE_AT = 2 << 20;
const SHORT_TEXT = 4096;
// Caller fields kept per record (docs/boundary.md); the rest are counted.
const MAX_CALLER_FIELDS = 1000;

/** Text of anything, never throwing (user toString/getters may). */
export function safeText(value) {
  if (typeof value === 'string') return value;
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The stack of an Error (or its text when it has none). */
export function exceptionText(error) {
  try {
    const stack = error.stack;
    if (typeof stack === 'string' && stack.length !== 0) return stack;
  } catch {
    // a throwing getter: fall through
  }
  return safeText(error);
}

export function isoTime(value) {
  if (value === undefined) return new Date().toISOString();
  if (typeof value === 'string') return value;
  try {
    const date = value instanceof Date ? value : new Date(value);
    return date.toISOString();
  } catch {
    return safeText(value);
  }
}

function tolerantJson(value) {
  const seen = new WeakSet();
  return JSON.stringify(value, (key, v) => {
    if (typeof v === 'bigint') return v.toString();
    if (v !== null && typeof v === 'object') {
      if (seen.has(v)) return '[Circular]';
      seen.add(v);
    }
    return v;
  });
}

/** JSON text of the record's extra fields ('' when none). */
function extraJson(record) {
  let extra;
  let count = 0;
  let skipped = 0;
  const keys = Object.keys(record); // own enumerable string keys, faster than for-in on big records
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (RESERVED.has(key)) continue;
    // A record with a million keys would be copied and serialized whole only
    // to be cut (issue 8): past MAX_CALLER_FIELDS the rest are counted.
    if (count === MAX_CALLER_FIELDS) {
      skipped++;
      continue;
    }
    let value;
    try {
      value = record[key];
    } catch (error) {
      value = `[unreadable: ${error?.name ?? 'Error'}]`; // a throwing getter costs its own field only
    }
    (extra ??= {})[key] = value;
    count++;
  }
  if (extra === undefined) return '';
  if (skipped > 0) extra.extra_truncated = `[${skipped} more caller fields]`;
  try {
    return JSON.stringify(extra) ?? '';
  } catch {
    try {
      return tolerantJson(extra) ?? '';
    } catch {
      // One field cannot be written (nested too deep, a throwing toJSON):
      // keep every other caller field, and say which one was left out.
      const kept = {};
      for (const key of Object.keys(extra)) {
        try {
          kept[key] = JSON.parse(tolerantJson(extra[key]) ?? 'null');
        } catch (error) {
          kept[key] = `[unserializable: ${error?.name ?? 'Error'}]`;
        }
      }
      return JSON.stringify(kept);
    }
  }
}

function cut(text, limit) {
  return text.length <= limit ? text : `${text.slice(0, limit)}…[truncated ${text.length - limit} characters]`;
}

function truncate(text) {
  return cut(text, TRUNCATE_AT);
}

/** Last resort when the core refuses (over 32 MiB of text): a JS-built line. */
function fallbackLine(redaction, scope, timestamp, level, message, exception, extra) {
  const out = { timestamp: cut(timestamp, SHORT_TEXT), level: cut(level, SHORT_TEXT), message: truncate(message) };
  let fields = EMPTY;
  try {
    fields = fieldsOf(scope, redaction);
  } catch {
    // no fields rather than unredacted ones
  }
  for (const key in fields) out[key] = fields[key];
  if (exception !== '') out.exception = truncate(exception);
  if (extra !== '') out.extra_unparsed = truncate(extra);
  return JSON.stringify(out);
}

/**
 * The line for texts already made strings, in the current scope (or
 * `scope`). Never throws for content.
 */
export function lineOf(redaction, timestamp, level, message, exception, extra, scope = carrier.getStore(), retried = false) {
  const inScope = scope !== undefined && !isEmpty(scope);
  try {
    // Fast path, for a line with neither exception nor caller fields: the
    // scope's fields come from its fragment, serialized by the core once per
    // scope, instead of being serialized again on every line (measured: the
    // per-line field serialization in wasm cost more than the rest of the
    // line). The core still builds the line's texts; the fragment goes where
    // the core would have put it, right before the closing brace.
    if (exception === '' && extra === '' && !reservedNamesDefined()) {
      const base = boundary.formatRecord(0, timestamp, level, message, '', '', NO_BYTES);
      if (typeof base === 'string') {
        if (!inScope) return base;
        const fragment = fragmentOf(scope, redaction);
        return fragment === '' ? base : `${base.slice(0, -1)}${fragment}}`;
      }
    }
    const result = inScope
      ? withHandle(scope, (handle) => boundary.formatRecord(handle, timestamp, level, message, exception, extra, redaction.bytes))
      : boundary.formatRecord(0, timestamp, level, message, exception, extra, redaction.bytes);
    if (typeof result === 'string') return result;
    if (result === -Status.TOO_LONG && !retried) {
      const shortExtra = extra.length > TRUNCATE_AT ? '' : extra;
      return lineOf(redaction, cut(timestamp, SHORT_TEXT), cut(level, SHORT_TEXT), truncate(message), truncate(exception), shortExtra, scope, true);
    }
  } catch {
    // the core's buffer could not grow: build the line here
  }
  return fallbackLine(redaction, inScope ? scope : internals.ROOT, timestamp, level, message, exception, extra);
}

/**
 * formatRecord(record): `{ message, level?, timestamp?, error?|exception?,
 * ...fields }` -> one JSON line (no newline) with the current context.
 */
export function formatWith(redaction, record) {
  if (record === null || typeof record !== 'object') {
    return lineOf(redaction, isoTime(undefined), 'INFO', safeText(record), '', '');
  }
  const level = record.level === undefined ? 'INFO' : safeText(record.level);
  const message = record.message === undefined ? '' : safeText(record.message);
  const error = record.exception ?? record.error;
  const exception = error === undefined || error === null ? '' : typeof error === 'string' ? error : exceptionText(error);
  return lineOf(redaction, isoTime(record.timestamp), level, message, exception, extraJson(record));
}


// mellea.<field> members of W3C baggage, on top of the C++ codec
// (src/baggage.h): parsing, percent-coding, limits and the field rules all
// happen there; this file only moves scopes and strings in and out.
import { internals } from '../node/runtime.js';

const { boundary, fields, withHandle, resolve, isEmpty, EMPTY } = internals;
// The codec reads at most 8192 bytes (cut after the last whole member). A
// longer prefix in UTF-16 units still holds more than 8192 bytes, so cutting
// here changes nothing but the cost of copying a hostile megabyte.
const READ_CHARS = 16384;

/** True when the scope has at least one field set. */
export function hasFields(scope) {
  return !isEmpty(scope);
}

/** Values by field index from a baggage header value; never throws on content. */
function valuesFromBaggage(header) {
  if (typeof header !== 'string' || header.length === 0) return [];
  const text = header.length > READ_CHARS ? header.slice(0, READ_CHARS) : header;
  try {
    return boundary.baggageExtract(text, fields);
  } catch {
    // Only a core failure (out of memory) gets here: no fields, no crash.
    return [];
  }
}

/** Frozen object of the mellea.<field> members that passed the field rules. */
export function fieldsFromBaggage(header) {
  const values = valuesFromBaggage(header);
  let out;
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== undefined) (out ??= {})[fields[i].name] = values[i];
  }
  return out === undefined ? EMPTY : Object.freeze(out);
}

/**
 * A scope holding `parent`'s fields overridden by those in the header, or
 * `parent` itself when the header carries none. The values passed the C++
 * field rules already; resolve() checks them again in JS, cheaply.
 */
export function scopeFromBaggage(parent, header) {
  const found = fieldsFromBaggage(header);
  return found === EMPTY ? parent : resolve(parent, found);
}

/**
 * The baggage header value carrying `scope`'s fields merged with `existing`
 * (members for our fields replaced, other well-formed members kept), or
 * undefined when the scope has no fields. Cached on the scope: its fields
 * never change, and most calls have no existing baggage or the same one.
 */
export function baggageFor(scope, existing) {
  if (!hasFields(scope)) return undefined;
  const memo = (scope.memo ??= {});
  const base = existing === undefined ? '' : existing.length > READ_CHARS ? existing.slice(0, READ_CHARS) : existing;
  if (base === '' && memo.baggage !== undefined) return memo.baggage;
  if (base !== '' && memo.baggageExisting === base) return memo.baggageMerged;
  const length = withHandle(scope, (handle) => boundary.baggageInject(handle, base));
  if (length < 0) return undefined;
  const value = boundary.readText(length);
  if (base === '') {
    memo.baggage = value;
  } else {
    memo.baggageExisting = base;
    memo.baggageMerged = value;
  }
  return value;
}

export { EMPTY };

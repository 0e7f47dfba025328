// The JS face of the C++ store: every scope is made there, in one crossing
// (the parent's handle and the changed fields as bytes; the core validates
// every value, copies the parent's values, stores the child and answers its
// handle). JS checks only JavaScript types (string, number, boolean; strings
// well-formed UTF-16, within the length limit before any byte is copied),
// and keeps the values as the scope's read-only mirror.
import { ERR_INVALID_VALUE, ContextFieldError, describeType } from './errors.js';
import { CHANGE_FRESH_REQUEST_ID, CHANGE_UNSET, REQUEST_ID_CHARS, Status } from './status.js';
import { invalid, invalidFromStatus } from './registry.js';
import { ROOT, Scope, copyValues } from './scope.js';
import { createTextScopes } from './text-scopes.js';
import { utf8Length } from './boundary.js';

const REQUEST_ID_INDEX = 1;
/** putText's answer for text holding a lone surrogate (a negative offset, like -1 for "does not fit"). */
const ILL_FORMED = -2;

/** A checked value as its change payload: the text, decimal digits, or '1'/'0'. */
function payloadOf(value) {
  return typeof value === 'string' ? value : typeof value === 'number' ? `${value}` : value ? '1' : '0';
}

export function createStore(boundary, registry, unknownFields) {
  const fields = registry.fields;
  // Text in one crossing (js/core/text-scopes.js), where the Node
  // runtime could instantiate src/text_changes.wat (boundary.textChanges).
  // Only hosts with a `process` may have it: the browser bundle is built
  // with globalThis.process undefined (scripts/build.mjs), so its minifier
  // leaves text-scopes.js out (the browser writes text in JS; its payload
  // bound keeps the bytes). Read once here: a read of globalThis.process
  // (a getter in Node) measured ~20 ns.
  const textScopes =
    globalThis.process !== undefined && boundary.textChanges !== undefined ? createTextScopes(boundary, registry, isText, limitFor) : undefined;

  /** Inherited values were accepted under the parent's limit, new ones under today's. */
  function limitFor(parent) {
    return Math.max(parent.maxValueBytes, registry.maxValueBytes);
  }

  /** Writes every set value of `values` as changes (re-materialising a scope); returns the length. */
  function putAll(values) {
    let offset = 0;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === undefined) continue;
      offset = boundary.putChange(offset, i, fields[i].typeCode, payloadOf(value));
      if (offset < 0) break;
    }
    return offset;
  }

  /** Stores `scope` again from its mirror (its slot was reused); returns the new handle. */
  function restore(scope) {
    if (scope === ROOT) return 0;
    const length = putAll(scope.values);
    const handle = length < 0 ? -Status.SCOPE_TOO_LARGE : boundary.createScope(0, length, scope.maxValueBytes);
    // The values passed these rules when the scope was made, under the limit
    // it carries: a refusal here is a core bug, reported as such.
    if (handle < 0) throw new ContextFieldError('ERR_MELLEA_CORE', `mellea-context core refused to restore a scope (status ${-handle})`);
    scope.handle = handle;
    return handle;
  }

  /**
   * Calls `op(handle)` on the scope's C++ slot; when the store reused the slot
   * meanwhile (op returns -STALE_HANDLE), stores the scope again and retries.
   */
  function withHandle(scope, op) {
    let result = op(scope.handle);
    if (result === -Status.STALE_HANDLE && scope !== ROOT) result = op(restore(scope));
    return result;
  }

  /** Stores the child of `parent` from the `length` bytes of changes put by `put()`. */
  function store(parent, put) {
    let length = put();
    if (length < 0) return -Status.SCOPE_TOO_LARGE;
    let handle = boundary.createScope(parent.handle, length, 0);
    if (handle === -Status.STALE_HANDLE && parent !== ROOT) {
      restore(parent); // overwrote the input area: put the changes again
      length = put();
      handle = boundary.createScope(parent.handle, length, 0);
    }
    return handle;
  }

  /** The error for a refused change of field `field` given as `name: value`. */
  function refusal(status, field, value, names) {
    if (status === Status.DUPLICATE_FIELD) {
      return new ContextFieldError(ERR_INVALID_VALUE, `Invalid value for ${field.name}: given twice (as ${names.filter((n) => registry.lookup(n) === field).join(' and ')})`, field.name);
    }
    return invalidFromStatus(field, status, value, registry.maxValueBytes, boundary.badCodePoint());
  }

  /**
   * The error for a change that did not fit the input area: a string over
   * the limit in UTF-8 bytes (a long non-ASCII text can pass the UTF-16
   * length check and still not fit) is too long, as the core would say;
   * anything else makes the scope too large.
   */
  function overflow(field, value, names) {
    const limit = registry.maxValueBytes;
    if (typeof value === 'string' && utf8Length(value) > limit) return invalidFromStatus(field, Status.TOO_LONG, value, limit);
    return refusal(Status.SCOPE_TOO_LARGE, field, value, names);
  }

  /**
   * The child of `parent` with the fields `names`/`values` (read once from
   * the caller's object) applied. Unknown names are reported first and all
   * together (as mellea does), then the first value refused for its
   * JavaScript type, then the first the core refused. `issuedAt`: the
   * position in `values` of the id generateRequestId() made last
   * (boundary.isLastIssued), or -1; the core copies that one from its own
   * block instead of it being written in (writing its 32 characters was
   * ~a fifth of a withContext({ requestId: generateRequestId() }) in a profile).
   *
   * One pass checks each value and writes its change entry straight into
   * the input area (the values were read before: no caller code runs while
   * the area is written); then one crossing. Measured against the three
   * passes, index array and put closure it replaces: a fresh
   * `withContext({ sessionId })` ~0.45x of their cost in JS
   * (bench/core.bench.mjs).
   */
  function childOf(parent, names, values, issuedAt = -1, retried = false) {
    const n = names.length;
    if (n === 2 && textScopes !== undefined && issuedAt < 0) {
      const scope = textScopes.withTwoTexts(parent, names, values);
      if (scope !== undefined) return scope;
    }
    const limit = registry.maxValueBytes;
    const childValues = copyValues(parent.values);
    let unknown;
    let refused;
    let offset = 0;
    let overflowAt = -1;
    for (let i = 0; i < n; i++) {
      const field = registry.lookup(names[i]);
      if (field === undefined) {
        (unknown ??= []).push(names[i]);
        continue;
      }
      if (unknown !== undefined || refused !== undefined || overflowAt >= 0) continue; // only unknown names are still reported
      const value = values[i];
      const index = field.index;
      if (value === undefined || value === null) {
        childValues[index] = undefined;
        offset = boundary.putChange(offset, index, CHANGE_UNSET, '');
      } else if (isText(field, value) && (i !== issuedAt || index !== REQUEST_ID_INDEX)) {
        offset = putText(offset, index, value);
        if (offset === ILL_FORMED) {
          refused = typeError(field, value, limit);
          continue;
        }
        childValues[index] = value;
      } else {
        refused = typeError(field, value, limit);
        if (refused !== undefined) continue;
        if (i === issuedAt && index === REQUEST_ID_INDEX) {
          offset = boundary.putIssuedId(offset, index);
        } else {
          offset = boundary.putChange(offset, index, field.typeCode, payloadOf(value));
        }
        childValues[index] = value === 0 ? 0 : value; // -0 is stored as 0
      }
      if (offset < 0) overflowAt = i; // the input area is full
    }
    if (unknown !== undefined) throw unknownFields(unknown);
    if (refused !== undefined) throw refused;
    if (overflowAt >= 0) throw overflow(registry.lookup(names[overflowAt]), values[overflowAt], names);
    const handle = boundary.createScope(parent.handle, offset, 0);
    if (handle < 0) {
      if (handle === -Status.STALE_HANDLE && parent !== ROOT && !retried) {
        restore(parent); // overwrote the input area: write the changes again
        return childOf(parent, names, values, issuedAt, true);
      }
      const bad = boundary.badField();
      let at = -1;
      for (let i = 0; i < n && at < 0; i++) if (registry.lookup(names[i]).index === bad) at = i;
      throw refusal(-handle, fields[bad] ?? registry.lookup(names[0]), at >= 0 ? values[at] : undefined, names);
    }
    return new Scope(childValues, limitFor(parent), handle);
  }

  /**
   * Whether `value` is text for the string field `field` within the limit:
   * written first and checked after (putText), where any other value is
   * checked first (typeError). An ASCII string (most values) is well-formed,
   * so only other text is looked at for lone surrogates: the check before
   * the write was ~5% of a fresh withContext({ sessionId }) (whole-process A/B).
   */
  function isText(field, value) {
    return typeof value === 'string' && field.typeCode === 0 && value.length <= registry.maxValueBytes;
  }

  /**
   * Writes text (isText) as field `index`'s change at `offset` by the one
   * loop (boundary.putStringChange): the next offset, -1 when it does not
   * fit, or ILL_FORMED when it holds a lone surrogate (written as U+FFFD: the
   * caller refuses it before anything crosses).
   */
  function putText(offset, index, text) {
    const next = boundary.putStringChange(offset, index, text);
    return next - offset === text.length + 6 || text.isWellFormed() ? next : ILL_FORMED;
  }

  /**
   * The JavaScript type of `value` for `field` checked (every value rule is
   * the core's), and a string's length against `limit` before a byte is
   * copied (no UTF-16 unit is less than a byte) and its well-formedness (a
   * lone surrogate cannot be written as UTF-8: it would become U+FFFD, so
   * the core would see another value). Returns the error, or undefined.
   */
  function typeError(field, value, limit) {
    const type = typeof value;
    if (type !== (field.typeCode === 0 ? 'string' : field.typeCode === 1 ? 'number' : 'boolean')) {
      return invalid(field, `expected ${field.type === 'integer' ? 'an integer' : `a ${field.type}`}, got ${describeType(value)}`);
    }
    if (type === 'string') {
      if (value.length > limit) return invalidFromStatus(field, Status.TOO_LONG, value, limit);
      if (!value.isWellFormed()) return invalid(field, 'contains a lone surrogate (ill-formed Unicode)');
    }
    return undefined;
  }

  /**
   * `parent` with the one field `field` set to `value` (null or undefined:
   * unset; `issued`: the id generateRequestId() made last, copied by the
   * core from its block), in one crossing and without the arrays childOf
   * works from: most scopes set one field (withContext('s-1'),
   * withContext({ sessionId }), an inbound request id). Throws the field
   * error if JS or the core refuses it.
   */
  function childWithValue(parent, field, value, issued = false) {
    if (textScopes !== undefined && !issued && isText(field, value)) {
      const scope = textScopes.withText(parent, field, value);
      if (scope !== undefined) return scope; // else the whole way below
    }
    if (value === null) value = undefined;
    if (value !== undefined && !isText(field, value)) {
      const error = typeError(field, value, registry.maxValueBytes);
      if (error !== undefined) throw error;
    }
    issued = issued && field.index === REQUEST_ID_INDEX;
    const length = putOne(field, value, issued);
    if (length === ILL_FORMED) throw typeError(field, value, registry.maxValueBytes);
    if (length < 0) throw overflow(field, value, [field.name]);
    let handle = boundary.createScope(parent.handle, length, 0);
    if (handle === -Status.STALE_HANDLE && parent !== ROOT) {
      restore(parent); // overwrote the input area: the one change again, no checks to repeat
      handle = boundary.createScope(parent.handle, putOne(field, value, issued), 0);
    }
    if (handle < 0) throw refusal(-handle, field, value, [field.name]);
    const values = copyValues(parent.values);
    values[field.index] = value === 0 ? 0 : value; // -0 is stored as 0
    return new Scope(values, limitFor(parent), handle);
  }

  /**
   * Writes childWithValue's one change at the start of the input area;
   * returns its length or -1. A string goes through putStringChange, one
   * loop that reads, checks and writes an ASCII value: this is the
   * fresh-scope path (withContext('s'), withContext({ sessionId }), an
   * inbound id), where putChange's dispatch was ~0.15x of OpenTelemetry's
   * whole context.with (bench/core.bench.mjs's fresh-session case).
   */
  function putOne(field, value, issued) {
    if (value === undefined) return boundary.putChange(0, field.index, CHANGE_UNSET, '');
    if (issued) return boundary.putIssuedId(0, field.index);
    if (field.typeCode === 0) return putText(0, field.index, value); // isText: any other string was refused
    return boundary.putChange(0, field.index, field.typeCode, payloadOf(value));
  }

  /** `parent` with field `index` set to `value` (an inbound request id that passed REQUEST_ID_PATTERN, ...); not remembered. */
  function childWith(parent, index, value) {
    return childWithValue(parent, fields[index], value);
  }

  // Made once, not per call: this runs once per request, on the path
  // measured against OpenTelemetry's context.with.
  const putFreshRequestId = () => boundary.putChange(0, REQUEST_ID_INDEX, CHANGE_FRESH_REQUEST_ID, '');

  /**
   * The child of `parent` whose request_id is a fresh id generated inside
   * the core while the scope is made: one crossing for a request scope.
   */
  function childWithFreshRequestId(parent) {
    const handle = store(parent, putFreshRequestId);
    if (handle < 0) throw refusal(-handle, fields[REQUEST_ID_INDEX], undefined, []);
    const values = copyValues(parent.values);
    values[REQUEST_ID_INDEX] = boundary.createdRequestId();
    // Generated ids are whole whatever the limit: the scope's limit covers
    // them, so re-materialising it from the mirror is accepted too.
    return new Scope(values, Math.max(limitFor(parent), REQUEST_ID_CHARS), handle);
  }

  /** Canonical JSON of the scope, as the core wrote it; made once per scope. */
  function jsonOf(scope) {
    if (scope.json !== undefined) return scope.json;
    if (scope === ROOT || isEmpty(scope)) return (scope.json = '{}');
    let json = boundary.scopeJson(scope.handle);
    if (json === undefined) {
      restore(scope);
      json = boundary.scopeJson(scope.handle);
    }
    return (scope.json = json);
  }

  function isEmpty(scope) {
    const values = scope.values;
    for (let i = 0; i < values.length; i++) if (values[i] !== undefined) return false;
    return true;
  }

  return { childOf, childWith, childWithValue, childWithFreshRequestId, withHandle, jsonOf, isEmpty, restore, utf8Length };
}

// The JS face of the C++ store: every scope is made there, in one crossing
// (the parent's handle and the changed fields as bytes; the core validates
// every value, copies the parent's values, stores the child and answers its
// handle). JS checks only JavaScript types (string, number, boolean; strings
// well-formed UTF-16, within the length limit before any byte is copied),
// and keeps the values as the scope's read-only mirror.
import { ERR_INVALID_VALUE, ContextFieldError, describeType } from './errors.js';
import { CHANGE_FRESH_REQUEST_ID, CHANGE_UNSET, REQUEST_ID_CHARS, Status } from './status.js';
import { invalid, invalidFromStatus } from './registry.js';
import { ROOT, Scope } from './scope.js';
import { utf8Length } from './boundary.js';

const REQUEST_ID_INDEX = 1;

export function createStore(boundary, registry, unknownFields) {
  const fields = registry.fields;

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
      const type = typeof value;
      offset = boundary.putChange(offset, i, type === 'string' ? 0 : type === 'number' ? 1 : 2, type === 'string' ? value : type === 'number' ? `${value}` : value ? '1' : '0');
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
   * The child of `parent` with the fields `names`/`values` (read once from
   * the caller's object) applied. Unknown names are reported first and all
   * together (as mellea does), then the first refused value. `issuedAt`:
   * the position in `values` of the id generateRequestId() made last
   * (boundary.isLastIssued), or -1; the core copies that one from its own
   * block instead of it being written in (writing its 32 characters was
   * ~a fifth of a withContext({ requestId: generateRequestId() }) in a profile).
   */
  function childOf(parent, names, values, issuedAt = -1) {
    const n = names.length;
    const byName = registry.byName;
    const indexes = new Array(n);
    let unknown;
    for (let i = 0; i < n; i++) {
      const field = byName.get(names[i]);
      if (field === undefined) (unknown ??= []).push(names[i]);
      else indexes[i] = field.index;
    }
    if (unknown !== undefined) throw unknownFields(unknown);
    const limit = registry.maxValueBytes;
    const childValues = parent.values.slice();
    // JavaScript types only; every value rule is the core's.
    for (let i = 0; i < n; i++) {
      const value = values[i];
      const field = fields[indexes[i]];
      if (value === undefined || value === null) {
        childValues[field.index] = undefined;
        continue;
      }
      const type = typeof value;
      if (type !== (field.typeCode === 0 ? 'string' : field.typeCode === 1 ? 'number' : 'boolean')) {
        throw invalid(field, `expected ${field.type === 'integer' ? 'an integer' : `a ${field.type}`}, got ${describeType(value)}`);
      }
      if (type === 'string') {
        // A lone surrogate cannot be written as UTF-8 (TextEncoder would
        // turn it into U+FFFD, so the core would see another value).
        if (!value.isWellFormed()) throw invalid(field, 'contains a lone surrogate (ill-formed Unicode)');
        // Refused before a byte is copied: no UTF-16 unit is less than a byte.
        if (value.length > limit) throw invalidFromStatus(field, Status.TOO_LONG, value, limit);
      }
      childValues[field.index] = value === 0 ? 0 : value; // -0 is stored as 0
    }
    const put = () => {
      let offset = 0;
      for (let i = 0; i < n; i++) {
        const value = values[i];
        if (value === undefined || value === null) {
          offset = boundary.putChange(offset, indexes[i], CHANGE_UNSET, '');
        } else if (i === issuedAt && indexes[i] === REQUEST_ID_INDEX) {
          offset = boundary.putIssuedId(offset, REQUEST_ID_INDEX);
        } else {
          const type = typeof value;
          offset = boundary.putChange(offset, indexes[i], type === 'string' ? 0 : type === 'number' ? 1 : 2, type === 'string' ? value : type === 'number' ? `${value}` : value ? '1' : '0');
        }
        if (offset < 0) return -1;
      }
      return offset;
    };
    const handle = store(parent, put);
    if (handle < 0) {
      const bad = handle === -Status.SCOPE_TOO_LARGE && boundary.badField() < 0 ? indexes[n - 1] : boundary.badField();
      const at = indexes.indexOf(bad);
      throw refusal(-handle, fields[bad] ?? fields[indexes[0]], at >= 0 ? values[at] : undefined, names);
    }
    return new Scope(childValues, limitFor(parent), handle);
  }

  /**
   * `parent` with field `index` set to `value` in one crossing, for values
   * made valid by their caller (an inbound request id that passed
   * REQUEST_ID_PATTERN); not remembered (a fresh value per call would only
   * miss). Throws the field error if the core refuses it.
   */
  function childWith(parent, index, value) {
    const field = fields[index];
    const kind = field.typeCode;
    const text = typeof value === 'string' ? value : typeof value === 'number' ? `${value}` : value ? '1' : '0';
    if (typeof value === 'string' && (value.length > registry.maxValueBytes || !value.isWellFormed())) {
      throw invalidFromStatus(field, Status.TOO_LONG, value, registry.maxValueBytes);
    }
    const handle = store(parent, () => boundary.putChange(0, index, kind, text));
    if (handle < 0) throw refusal(-handle, field, value, [field.name]);
    const values = parent.values.slice();
    values[index] = value;
    return new Scope(values, limitFor(parent), handle);
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
    const values = parent.values.slice();
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

  return { childOf, childWith, childWithFreshRequestId, withHandle, jsonOf, isEmpty, restore, utf8Length };
}

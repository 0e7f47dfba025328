// The public API over any AsyncLocalStorage-shaped scope carrier: Node's
// AsyncLocalStorage, or the browser's carrier (js/browser/carrier.js). Reads
// never cross into wasm; withContext crosses only for a value that is not
// plain ASCII; a scope reaches the C++ store when something needs the C++
// side (a value to escape, a record, redaction, baggage).
import {
  ContextFieldError,
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_OPTION,
  ERR_INVALID_VALUE,
  ERR_UNKNOWN_FIELD,
  ERR_UNKNOWN_OPTION,
  argumentError,
  describeType,
} from './errors.js';
import { Status } from './status.js';
import { Registry, invalidFromStatus } from './registry.js';
import { ROOT, Scope } from './scope.js';
import { createBinding, diagnosticsOption } from './binding.js';

const EMPTY = Object.freeze({});
const RECENT_LIMIT = 8;
const SESSION_LIMIT = 64;
const hasOwn = Object.prototype.hasOwnProperty;
const disposeSymbol = Symbol.dispose ?? Symbol.for('nodejs.dispose');

export function createContextApi(carrier, boundary) {
  const registry = new Registry(boundary);
  const fields = registry.fields;
  // Bumped by configure(): remembered scopes were validated under the old limits.
  let cacheEpoch = 1;
  // Per-call stamps to catch both spellings of one field without allocating.
  let stamp = 0;
  const seen = new Int32Array(64);

  function current() {
    const scope = carrier.getStore();
    return scope === undefined ? ROOT : scope;
  }

  function unknownFields(names) {
    const list = names.map((n) => `'${String(n)}'`).join(', ');
    const valid = registry.validNames().map((n) => `'${n}'`).join(', ');
    return new ContextFieldError(ERR_UNKNOWN_FIELD, `Unknown context fields: [${list}]. Valid fields: [${valid}]`);
  }

  /** Inherited values were accepted under the parent's limit, new ones under today's. */
  function limitFor(parent) {
    return Math.max(parent.maxValueBytes, registry.maxValueBytes);
  }

  /**
   * `parent` with field `index` set to `value`, which the caller made valid
   * by construction (a generated request id): no checks, no remembering (a
   * fresh value per call would only miss).
   */
  function childWith(parent, index, value) {
    const values = parent.values.slice();
    values[index] = value;
    return new Scope(values, limitFor(parent));
  }

  /**
   * Validates the fields `names`/`values` (read once from the caller's
   * object) in full, then builds the child of `parent` they describe.
   */
  function makeScope(parent, names, values) {
    const n = names.length;
    // One name cannot be given twice: skip the bookkeeping (the usual case).
    const mark = n > 1 ? ++stamp : 0;
    const byName = registry.byName;
    const scopeValues = parent.values.slice();
    for (let i = 0; i < n; i++) {
      const field = byName.get(names[i]);
      // Unknown names are reported first and all together, as mellea does.
      if (field === undefined) throw unknownFields(names.filter((name) => registry.lookup(name) === undefined));
      if (mark !== 0) {
        if (seen[field.index] === mark) {
          throwUnknownIn(names);
          throw new ContextFieldError(
            ERR_INVALID_VALUE,
            `Invalid value for ${field.name}: given twice (as ${field.name} and ${field.alias})`,
            field.name,
          );
        }
        seen[field.index] = mark;
      }
      const value = values[i];
      if (value === undefined || value === null) {
        scopeValues[field.index] = undefined;
      } else {
        try {
          registry.check(field, value);
        } catch (error) {
          throwUnknownIn(names);
          throw error;
        }
        scopeValues[field.index] = value;
      }
    }
    return new Scope(scopeValues, limitFor(parent));
  }

  function throwUnknownIn(names) {
    const unknown = names.filter((name) => registry.lookup(name) === undefined);
    if (unknown.length > 0) throw unknownFields(unknown);
  }

  function sameFields(knownNames, knownValues, names, values) {
    const n = names.length;
    if (knownNames.length !== n) return false;
    for (let i = 0; i < n; i++) {
      if (knownNames[i] !== names[i] || knownValues[i] !== values[i]) return false;
    }
    return true;
  }

  /**
   * The remembered child whose fields are exactly `input`'s own fields, in
   * order, with === values; walks the input with for-in, which allocates
   * nothing (Object.keys and a values array cost as much as the rest of a hit).
   */
  function findRecent(recent, input) {
    outer: for (let e = 0; e < recent.length; e++) {
      const known = recent[e];
      const names = known.names;
      const values = known.values;
      let i = 0;
      for (const name in input) {
        if (i >= names.length || name !== names[i] || input[name] !== values[i] || !hasOwn.call(input, name)) continue outer;
        i++;
      }
      if (i === names.length) return known.scope;
    }
    return undefined;
  }

  /**
   * The scope `withContext(input)` enters under `parent`. A sampling loop
   * re-enters the same few scopes, so each parent remembers the last few
   * children it made, matched by field names and values compared with ===
   * (no key string to build and hash: that alone cost more than als.run).
   * A child is remembered only on its second sighting, so a fresh request id
   * per call never evicts the useful ones.
   */
  function resolve(parent, input) {
    if (typeof input === 'string') return resolveSession(parent, input);
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw argumentError(ERR_INVALID_ARG_TYPE, `withContext: fields must be an object or a session id string, got ${describeType(input)}`);
    }
    const kids = kidsOf(parent);
    const recent = kids.recent;
    if (recent.length > 0) {
      const known = findRecent(recent, input);
      if (known !== undefined) return known;
    }
    // Read each value once: a getter may answer differently on a second read.
    let names;
    let values;
    let count = 0;
    let firstName;
    let firstValue;
    for (const name in input) {
      if (!hasOwn.call(input, name)) continue;
      if (++count > 1) break;
      firstName = name;
      firstValue = input[name];
    }
    if (count === 0) return parent;
    if (count === 1) {
      // One field (a fresh request id, a sampling iteration): no Object.keys.
      names = [firstName];
      values = [firstValue];
    } else {
      names = Object.keys(input);
      values = new Array(names.length);
      for (let i = 0; i < names.length; i++) values[i] = input[names[i]];
    }
    const scope = makeScope(parent, names, values);
    // The last miss lives in three slots rather than one object: a fresh
    // request id per call would otherwise allocate an entry every time.
    if (kids.missScope !== undefined && sameFields(kids.missNames, kids.missValues, names, values)) {
      if (recent.length >= RECENT_LIMIT) recent.shift();
      recent.push({ names: kids.missNames, values: kids.missValues, scope: kids.missScope });
      const remembered = kids.missScope;
      kids.missNames = kids.missValues = kids.missScope = undefined;
      return remembered;
    }
    kids.missNames = names;
    kids.missValues = values;
    kids.missScope = scope;
    return scope;
  }

  /** withContext('s-1', fn): children by session id, same admission rule. */
  function resolveSession(parent, sessionId) {
    const kids = kidsOf(parent);
    const sessions = (kids.sessions ??= new Map());
    const cached = sessions.get(sessionId);
    if (cached !== undefined) return cached;
    registry.check(fields[0], sessionId);
    const scope = childWith(parent, 0, sessionId);
    if (kids.lastSession === sessionId) {
      if (sessions.size >= SESSION_LIMIT) sessions.clear();
      sessions.set(sessionId, scope);
    } else {
      kids.lastSession = sessionId;
    }
    return scope;
  }

  /** The parent's memory of its children, reset when configure() changed the rules. */
  function kidsOf(parent) {
    const kids = parent.kids;
    if (kids !== undefined && kids.epoch === cacheEpoch) return kids;
    return (parent.kids = { epoch: cacheEpoch, recent: [], missNames: undefined, missValues: undefined, missScope: undefined, sessions: undefined, lastSession: undefined });
  }

  function withContext(input, fn) {
    if (typeof fn !== 'function') {
      throw argumentError(ERR_INVALID_ARG_TYPE, `withContext: fn must be a function, got ${describeType(fn)}`);
    }
    const scope = resolve(current(), input);
    // A rest parameter would allocate an array on every call.
    const result = arguments.length <= 2 ? carrier.run(scope, fn) : carrier.run(scope, fn, ...Array.prototype.slice.call(arguments, 2));
    return bindThenable(result, scope);
  }

  class ContextToken {
    constructor(previous) {
      this.previous = previous;
      this.done = false;
    }
    reset() {
      if (this.done) return;
      this.done = true;
      carrier.enterWith(this.previous);
    }
    [disposeSymbol]() {
      this.reset();
    }
  }

  function enterContext(input) {
    const previous = current();
    const scope = resolve(previous, input);
    carrier.enterWith(scope);
    return new ContextToken(previous);
  }

  function getField(name) {
    const field = typeof name === 'string' ? registry.lookup(name) : undefined;
    if (field === undefined) throw unknownFields([typeof name === 'string' ? name : describeType(name)]);
    return current().values[field.index];
  }

  function isEmpty(scope) {
    const values = scope.values;
    for (let i = 0; i < values.length; i++) if (values[i] !== undefined) return false;
    return true;
  }

  function snapshotOf(scope) {
    if (scope.snapshot !== undefined) return scope.snapshot;
    const out = {};
    let any = false;
    const values = scope.values;
    for (let i = 0; i < values.length; i++) {
      if (values[i] !== undefined) {
        out[fields[i].name] = values[i];
        any = true;
      }
    }
    scope.snapshot = any ? Object.freeze(out) : EMPTY;
    return scope.snapshot;
  }

  function getCurrentContext() {
    const scope = carrier.getStore();
    if (scope === undefined) return EMPTY;
    const snapshot = scope.snapshot;
    return snapshot !== undefined ? snapshot : snapshotOf(scope);
  }

  const { bind, bindEmitter, bindPrototypeListeners, bindThenable } = createBinding(carrier, current);

  function generateRequestId() {
    return boundary.requestId();
  }

  function defineField(name, options) {
    registry.define(name, options);
    while (ROOT.values.length < fields.length) ROOT.values.push(undefined);
  }

  const OPTIONS = {
    // Lost-context reports (Node): js/diagnostics.js validates and applies.
    diagnostics: diagnosticsOption,
    maxValueBytes(value) {
      if (!Number.isInteger(value) || value < 1 || value > 65536) {
        throw argumentError(ERR_INVALID_OPTION, `configure: maxValueBytes must be an integer from 1 to 65536, got ${describeType(value)}`);
      }
      return () => {
        boundary.setMaxValueBytes(value);
        registry.maxValueBytes = value;
      };
    },
  };

  function configure(options) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw argumentError(ERR_INVALID_ARG_TYPE, `configure: options must be an object, got ${describeType(options)}`);
    }
    const apply = [];
    for (const key of Object.keys(options)) {
      if (!hasOwn.call(OPTIONS, key)) {
        throw argumentError(ERR_UNKNOWN_OPTION, `configure: unknown option ${JSON.stringify(key)}; known options: ${Object.keys(OPTIONS).join(', ')}`);
      }
      apply.push(OPTIONS[key](options[key]));
    }
    // Everything validated: now apply, and drop scopes cached under old rules.
    for (const step of apply) step();
    cacheEpoch++;
  }

  function storeStats() {
    return { liveScopes: boundary.liveScopes(), wasmHeapBytes: boundary.heapBytes() };
  }

  /** Makes sure `scope` has a live slot in the C++ store; returns its handle. */
  function handleOf(scope) {
    if (scope.handle !== 0) return scope.handle;
    const result = boundary.createScope(scope.values, fields, scope.maxValueBytes);
    if (result < 0) {
      // Values were validated on the way in, under the limit the scope
      // carries, so the core should never refuse them; if it does, report it
      // as the field error it is.
      const field = fields[boundary.badField()];
      if (field !== undefined) throw invalidFromStatus(field, -result, scope.values[field.index], registry.maxValueBytes);
      throw argumentError('ERR_MELLEA_CORE', `mellea-context core refused a scope (status ${-result})`);
    }
    scope.handle = result;
    return result;
  }

  /**
   * Calls `op(handle)` on the scope's C++ slot; when the store reused the slot
   * meanwhile (op returns -STALE_HANDLE), stores the scope again and retries.
   */
  function withHandle(scope, op) {
    let result = op(handleOf(scope));
    if (result === -Status.STALE_HANDLE) {
      scope.handle = 0;
      result = op(handleOf(scope));
    }
    return result;
  }

  /**
   * The JSON of a scope whose every value is its own JSON text (strings of
   * printable ASCII without '"' and '\\', integers, booleans), or undefined.
   * For such values the serializer has nothing to decide, and this
   * concatenation gives the bytes the C++ serializer gives (tests compare the
   * two). Measured on an HTTP service logging one line per request: storing
   * each request's scope in wasm to serialize it cost more than a tenth of
   * the service's throughput; this costs nothing measurable.
   */
  function plainJsonOf(scope) {
    const values = scope.values;
    let json = '';
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === undefined) continue;
      let text;
      if (typeof value === 'string') {
        for (let k = 0; k < value.length; k++) {
          const c = value.charCodeAt(k);
          if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return undefined;
        }
        text = `"${value}"`;
      } else {
        text = `${value}`; // integers are safe integers, booleans true/false
      }
      json += `${json === '' ? '{"' : ',"'}${fields[i].name}":${text}`;
    }
    return json === '' ? '{}' : `${json}}`;
  }

  /**
   * Canonical JSON of the scope's fields, made once per scope: by
   * plainJsonOf when the values need no escaping, otherwise by the C++ store
   * (which hands it back in the same crossing that stores the scope).
   */
  function jsonOf(scope) {
    if (scope.json !== undefined) return scope.json;
    const plain = plainJsonOf(scope);
    if (plain !== undefined) return (scope.json = plain);
    return (scope.json = storedJsonOf(scope));
  }

  /** The scope's JSON as the C++ store serializes it (stores the scope). */
  function storedJsonOf(scope) {
    let json;
    if (scope.handle !== 0) json = boundary.scopeJson(scope.handle);
    if (json === undefined) {
      scope.handle = 0;
      handleOf(scope);
      json = boundary.createdScopeJson() ?? boundary.scopeJson(scope.handle);
    }
    return json;
  }

  const api = {
    withContext,
    enterContext,
    getSessionId: () => current().values[0],
    getRequestId: () => current().values[1],
    getModelId: () => current().values[2],
    getSamplingIteration: () => current().values[3],
    getField,
    getCurrentContext,
    generateRequestId,
    bind,
    bindEmitter,
    defineField,
    configure,
    storeStats,
    ContextFieldError,
  };
  const internals = { bindPrototypeListeners, EMPTY, registry, fields, current, resolve, childWith, isEmpty, snapshotOf, withHandle, jsonOf, storedJsonOf, plainJsonOf, boundary, carrier, ROOT };
  return { api, internals };
}

// The public API over any AsyncLocalStorage-shaped scope carrier: Node's
// AsyncLocalStorage, or the browser's carrier (js/browser/carrier.js).
// Every scope lives in the C++ store (js/core/store.js makes them, one
// crossing each); remembered children cross nothing (js/core/child-memo.js);
// reads never cross (each scope keeps a read-only mirror of its values).
import { ContextFieldError, ERR_INVALID_ARG_TYPE, ERR_INVALID_OPTION, ERR_UNKNOWN_FIELD, ERR_UNKNOWN_OPTION, argumentError, describeType } from './errors.js';
import { MAX_VALUE_BYTES_LIMIT } from './status.js';
import { Registry } from './registry.js';
import { ROOT, Scope } from './scope.js';
import { createStore } from './store.js';
import { forgetAll, recallFields, recallSession, remember, rememberSession } from './child-memo.js';
import { createBinding, diagnosticsOption } from './binding.js';

const EMPTY = Object.freeze({});
const hasOwn = Object.prototype.hasOwnProperty;
const getPrototypeOf = Object.getPrototypeOf;
const ObjectPrototype = Object.prototype;
const disposeSymbol = Symbol.dispose ?? Symbol.for('nodejs.dispose');

export function createContextApi(carrier, boundary) {
  const registry = new Registry(boundary);
  const fields = registry.fields;
  const store = createStore(boundary, registry, unknownFields);
  boundary.isFieldName = (key) => registry.lookup(key)?.name === key;
  const { childOf, childWith, childWithValue, childWithFreshRequestId, withHandle, jsonOf, isEmpty } = store;
  const SESSION_FIELD = fields[0];

  function current() {
    const scope = carrier.getStore();
    return scope === undefined ? ROOT : scope;
  }

  function unknownFields(names) {
    const list = names
      .map((n) => `'${String(n)}'`)
      .sort()
      .join(', ');
    const valid = registry
      .validNames()
      .map((n) => `'${n}'`)
      .join(', ');
    return new ContextFieldError(ERR_UNKNOWN_FIELD, `Unknown context fields: [${list}]. Valid fields: [${valid}]`);
  }

  function notPlain(where, input, why) {
    return argumentError(ERR_INVALID_ARG_TYPE, `${where}: fields must be a plain object or a session id string, got ${why ?? describeInput(input)}`);
  }

  function describeInput(input) {
    if (input === null || typeof input !== 'object') return describeType(input);
    try {
      const name = getPrototypeOf(input)?.constructor?.name;
      if (name === 'Object') return 'an object that inherits from another object (its inherited keys are not fields)';
      return typeof name === 'string' && name !== '' ? `an instance of ${name}` : describeType(input);
    } catch {
      return 'an object that cannot be read';
    }
  }

  /**
   * The own enumerable string-keyed names of a plain object (its fields).
   * A Map, Set, Date, Error, Promise, class instance or an object with only
   * symbol keys holds no fields a caller could mean: ERR_INVALID_ARG_TYPE;
   * so is a Proxy whose keys cannot be read (revoked, duplicate ownKeys).
   * Callers read each value once (a getter may answer differently on a
   * second read), all before any byte is written to the core: a getter may
   * itself make a scope.
   */
  function fieldNames(input, where) {
    let names;
    try {
      names = Object.keys(input);
    } catch (error) {
      throw notPlain(where, input, `an object whose keys cannot be read (${error?.message ?? error})`);
    }
    if (names.length === 0 && Object.getOwnPropertySymbols(input).length > 0) throw notPlain(where, input, 'an object with only symbol keys');
    return names;
  }

  /**
   * The scope `withContext(input)` / `enterContext(input)` enters under
   * `parent`. `asked`: the caller has asked the memo for this session id
   * already, or walked this object (objectScope) and found no plain list of
   * fields in it.
   */
  function resolve(parent, input, where = 'withContext', asked = false) {
    if (typeof input === 'string') return resolveSession(parent, input, asked);
    if (!asked) return objectScope(parent, input, where);
    if (input === null || typeof input !== 'object') throw notPlain(where, input);
    let proto;
    try {
      proto = getPrototypeOf(input);
    } catch (error) {
      throw notPlain(where, input, `an object that cannot be read (${error?.message ?? error})`);
    }
    if (proto !== ObjectPrototype && proto !== null) throw notPlain(where, input);
    // No fields, or inherited enumerable keys beside its own: by Object.keys.
    const names = fieldNames(input, where);
    const n = names.length;
    if (n === 0) return parent === ROOT && carrier.getStore() === undefined ? ROOT : twinOf(parent);
    const values = new Array(n);
    for (let i = 0; i < n; i++) values[i] = input[names[i]];
    return resolveFields(parent, names, values);
  }

  /**
   * The scope of the fields `names`/`values` (read once from the input),
   * remembered when the core answers it as made before (child-memo.js). An
   * input holding the id generateRequestId() just made is new by
   * construction: the core copies that id (and never answers it as made before).
   */
  function resolveFields(parent, names, values) {
    const n = names.length;
    let issuedAt = -1;
    for (let i = 0; i < n && issuedAt < 0; i++) if (boundary.isLastIssued(values[i])) issuedAt = i;
    const scope = childOf(parent, names, values, issuedAt);
    if (boundary.repeated()) remember(parent, names, values, scope);
    return scope;
  }

  /**
   * The scope of an input of one field, `name: value`: the usual new scope
   * (`{ sessionId }`, an inbound id), made with no arrays at all. Measured
   * with bench/core.bench.mjs's fresh-session case: Object.keys, the values
   * array and the general path's loops were ~0.25x of OpenTelemetry's whole
   * context.with. Its callers asked the memo for a remembered child already.
   */
  function resolveOne(parent, name, value) {
    const field = registry.lookup(name);
    if (field === undefined) throw unknownFields([name]);
    const scope = childWithValue(parent, field, value, boundary.isLastIssued(value));
    if (boundary.repeated()) remember(parent, [name], [value], scope);
    return scope;
  }

  /**
   * The same scope as `scope` under another object: withContext({}, fn) must
   * run fn in a frame of its own (AsyncLocalStorage.run skips the frame when
   * given the store already current, and an enterContext inside fn would
   * then outlive fn). Twins share values and handle; a twin's twin is the
   * original, so nested {} frames alternate between the two. Outside any
   * scope, ROOT itself differs from the current store (none) and is used.
   */
  function twinOf(scope) {
    if (scope.twin !== undefined) return scope.twin;
    const twin = new Scope(scope.values, scope.maxValueBytes, scope.handle);
    twin.twin = scope;
    twin.kids = undefined;
    scope.twin = twin;
    return twin;
  }

  /** withContext('s-1', fn): children by session id, same memo rule. */
  function resolveSession(parent, sessionId, asked = false) {
    const known = asked ? undefined : recallSession(parent, sessionId);
    if (known !== undefined) return known;
    const scope = childWithValue(parent, SESSION_FIELD, sessionId);
    if (boundary.repeated()) rememberSession(parent, scope);
    return scope;
  }

  /**
   * The scope for an input that is not a string, by one for-in walk over
   * it that reads each own key and value once, the first two into locals
   * (no array for the usual one or two fields): a remembered child first
   * (child-memo.js recallFields compares the walked fields; a match is
   * taken for a plain object only), else, for a plain object (its prototype
   * Object.prototype or null), one field by its name and value to
   * resolveOne (the usual new scope: { sessionId }, an inbound id), several
   * to resolveFields; anything else (no fields, an inherited enumerable key,
   * another prototype, a Proxy or getter that throws) to resolve(), which
   * checks and reports. One walk where the memo's walk of the input per
   * remembered input and a second walk for the fields were up to nine
   * (a fresh { sessionId }: -0.1 to -0.3x of OpenTelemetry's context.with
   * on Node 20-22 with the bench's remembered inputs). Every value is read
   * before anything crosses: a getter may itself make a scope.
   */
  function objectScope(parent, input, where = 'withContext') {
    let n = 0;
    let k0;
    let v0;
    let k1;
    let v1;
    let names;
    let values;
    try {
      for (const key in input) {
        // hasOwn of the key for-in just gave: V8 makes it a map check there
        // (on a key kept past the loop it is a lookup: ~14 ns more per call).
        // More keys than there are fields: not a list of fields a caller
        // could mean (an array, an object of many keys); resolve() reports
        // it, by its prototype before any walk, so a million-element array
        // costs no walk of its elements.
        if (n === fields.length || !hasOwn.call(input, key)) {
          n = 0;
          break;
        }
        if (n === 0) {
          k0 = key;
          v0 = input[key];
        } else if (n === 1) {
          k1 = key;
          v1 = input[key];
        } else if (names === undefined) {
          names = [k0, k1, key];
          values = [v0, v1, input[key]];
        } else {
          names.push(key);
          values.push(input[key]);
        }
        n++;
      }
    } catch {
      return resolve(parent, input, where, true); // checks it again, and reports
    }
    if (n === 0) return resolve(parent, input, where, true);
    const known = recallFields(parent, n, k0, v0, k1, v1, names, values);
    // Checked on a match only: remembered inputs are plain objects, so a
    // class instance with the same own fields is no hit. `constructor`
    // rather than Object.getPrototypeOf: measured 5-14 ns less per hit
    // (same two fields, bench/core.bench.mjs). tests/validation.test.mjs
    // covers both.
    if (known !== undefined && input.constructor === Object) return known;
    const proto = getPrototypeOf(input);
    if (proto !== ObjectPrototype && proto !== null) return resolve(parent, input, where, true);
    if (n === 1) return resolveOne(parent, k0, v0);
    return resolveFields(parent, names ?? [k0, k1], values ?? [v0, v1]);
  }

  function notAFunction(fn) {
    return argumentError(ERR_INVALID_ARG_TYPE, `withContext: fn must be a function, got ${describeType(fn)}`);
  }

  /** The scope withContext(input) enters under `parent`: a remembered child, or one resolve() makes. */
  function scopeOf(parent, input) {
    return typeof input === 'string' ? recallSession(parent, input) ?? resolveSession(parent, input, true) : objectScope(parent, input, 'withContext');
  }

  // Kept small: V8 inlines a caller's callees up to a total bytecode size
  // (920 bytes in Node 20), and the hit path (this, getStore, the memo walk,
  // als.run and its getStore) is near it; over it, which callee stays a call
  // varied between runs (same two fields: ~48 or ~65 ns, bench/core.bench.mjs).
  // Two copies, chosen once: where the carrier has runFrom (Node 24-26,
  // js/node/carrier.js frameRunFrom) it is told the store withContext read;
  // elsewhere run(). One function testing for runFrom on each call measured
  // a fresh withContext('s') ~0.04x of OpenTelemetry's context.with more on
  // Node 22 (in-process A/B, both load orders).
  // `...args` only forwarded: V8 passes them on without making the array
  // (the `arguments` object and slice() it replaced were allocated on every
  // call, measured ~6 ns of a hit, 0.17x of als.run).
  // (The browser bundle, built with globalThis.process undefined, keeps the first only.)
  const runFrom = carrier.runFrom;
  const withContext =
    globalThis.process === undefined || runFrom === undefined
      ? function withContext(input, fn, ...args) {
          if (typeof fn !== 'function') throw notAFunction(fn);
          const stored = carrier.getStore();
          const scope = scopeOf(stored === undefined ? ROOT : stored, input);
          return bindThenable(carrier.run(scope, fn, ...args), scope);
        }
      : function withContext(input, fn, ...args) {
          if (typeof fn !== 'function') throw notAFunction(fn);
          const stored = carrier.getStore();
          const scope = scopeOf(stored === undefined ? ROOT : stored, input);
          return bindThenable(runFrom(stored, scope, fn, ...args), scope);
        };

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
    const scope = resolve(previous, input, 'enterContext');
    carrier.enterWith(scope);
    return new ContextToken(previous);
  }

  function getField(name) {
    const field = typeof name === 'string' ? registry.lookup(name) : undefined;
    if (field === undefined) throw unknownFields([typeof name === 'string' ? name : describeType(name)]);
    return current().values[field.index];
  }

  // getStore() and one property read each (Scope keeps the built-in fields
  // as properties); outside any scope there is no store and no value. Four
  // copies rather than one factory: closures of one function share their
  // type feedback, and `scope[key]` seen with four keys is a polymorphic
  // load where each copy's `scope.sessionId` stays a monomorphic one.
  function getSessionId() {
    const scope = carrier.getStore();
    return scope === undefined ? undefined : scope.sessionId;
  }
  function getRequestId() {
    const scope = carrier.getStore();
    return scope === undefined ? undefined : scope.requestId;
  }
  function getModelId() {
    const scope = carrier.getStore();
    return scope === undefined ? undefined : scope.modelId;
  }
  function getSamplingIteration() {
    const scope = carrier.getStore();
    return scope === undefined ? undefined : scope.samplingIteration;
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
      if (!Number.isInteger(value) || value < 1 || value > MAX_VALUE_BYTES_LIMIT) {
        throw argumentError(ERR_INVALID_OPTION, `configure: maxValueBytes must be an integer from 1 to ${MAX_VALUE_BYTES_LIMIT}, got ${describeType(value)}`);
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
    // Everything validated: now apply, and forget children made under the old rules.
    for (const step of apply) step();
    forgetAll();
  }

  function storeStats() {
    return { liveScopes: boundary.liveScopes(), wasmHeapBytes: boundary.heapBytes() };
  }

  const api = {
    withContext,
    enterContext,
    getSessionId,
    getRequestId,
    getModelId,
    getSamplingIteration,
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
  // The seams the integrations use (one import of `internals` each).
  const internals = {
    bindPrototypeListeners,
    EMPTY,
    registry,
    fields,
    current,
    resolve,
    childWith,
    childWithFreshRequestId,
    isEmpty,
    snapshotOf,
    withHandle,
    jsonOf,
    storedJsonOf: jsonOf,
    boundary,
    carrier,
    ROOT,
  };
  return { api, internals };
}

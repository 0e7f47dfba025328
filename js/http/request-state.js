// One state per inbound request: its id (the one value req.id, Fastify's
// reqId, the echoed header, request_id and span attributes all use), the
// caller's id when kept as a parent, and the request's latest scope.
//
// Scopes never change. addRequestFields() makes a child scope and moves the
// request's "latest scope" pointer to it, so that listeners bound earlier in
// the request (pino-http's res.on('finish'/'close'), Fastify's own lines) run
// in the scope the request has when they fire, not the one it had when they
// were added.
import { IncomingMessage, ServerResponse } from 'node:http';
import { api, internals } from '../node/runtime.js';
import { ContextFieldError, argumentError, describeType } from '../core/errors.js';
import { EMPTY, fieldsFromBaggage } from '../propagation/baggage.js';
import { readHeader } from '../propagation/headers.js';
import { acceptInboundId } from '../propagation/request-id.js';
import { emitRequestScope } from '../request-hooks.js';
import { failureReporter } from '../integration-errors.js';

const { current, resolve, childWith, childWithFreshRequestId, registry, carrier, fields: FIELDS } = internals;
const { generateRequestId } = api;

const REQUEST_ID_INDEX = registry.lookup('request_id').index;
export { REQUEST_ID_INDEX };
/**
 * The request's state on Fastify's raw request, for Fastify's hooks and
 * addRequestFields(fields, request). Not on the Express/node:http path:
 * Express swaps req's prototype and req then keeps its properties in a
 * dictionary, where probing and writing one more property per request
 * measured ~1.5% of an Express service's CPU (bench/http.bench.mjs profile);
 * there the request's own scopes lead to it (scope.memo).
 */
const kState = Symbol('mellea-context.request');
export { kState };
// Ids pinoHttpOptions().genReqId minted before the context middleware ran
// (pino-http registered first), which the middleware then uses. Made on the
// first such request only: the usual order never pays for it.
let minted;
// A request-level scope points to its request through the scope's
// per-integration cache (scope.memo), for addRequestFields() without req. Not
// a WeakMap from scope to request: one WeakMap entry per request cost an HTTP
// service a fifth of its CPU per request (bench/http.bench.mjs; GC work on
// entries of short-lived keys).
const kRequest = Symbol('mellea-context.requestOfScope');

function markScope(scope, state) {
  const memo = scope.memo;
  if (memo === undefined) scope.memo = { [kRequest]: state };
  else memo[kRequest] = state;
}

function requestOfScope(scope) {
  return scope.memo?.[kRequest];
}
const START = Object.freeze({ inboundRequestId: undefined, phase: 'start' });
const FIELDS_PHASE = Object.freeze({ inboundRequestId: undefined, phase: 'fields' });

class RequestState {
  constructor(id, inboundRequestId, scope, req) {
    this.id = id;
    this.req = req;
    /** The caller's x-request-id (or baggage request id), kept apart from ours. */
    this.inboundRequestId = inboundRequestId;
    this.start = scope;
    this.latest = scope;
    /** Scopes between start and latest (addRequestFields more than once). */
    this.between = undefined;
  }

  /** True for the scopes this request itself made (not nested withContext ones). */
  owns(scope) {
    return scope === this.latest || scope === this.start || (this.between !== undefined && this.between.includes(scope));
  }

  info(phase) {
    if (this.inboundRequestId === undefined) return phase === 'start' ? START : FIELDS_PHASE;
    return { inboundRequestId: this.inboundRequestId, phase };
  }
}

/**
 * The scope a line or listener of this request should see now: the current
 * scope when it is inside the request (its own scopes are replaced by the
 * latest one, nested withContext scopes are kept), else the latest.
 */
export function scopeNow(state) {
  const scope = carrier.getStore();
  if (scope === state.latest) return scope;
  if (scope === undefined || state.owns(scope)) return state.latest;
  return scope.values[REQUEST_ID_INDEX] === state.id ? scope : state.latest;
}

/** For bindPrototypeListeners: a listener added in one of the request's scopes runs in its latest. */
function retarget(emitter, scope) {
  // The add-time scope, when it is one of a request's own, names the request:
  // nothing to read on the emitter.
  const state = scope.memo?.[kRequest];
  if (state === undefined || state.latest === scope) return scope;
  return state.latest;
}

// Listeners added to req and res inside the request's scope (req.on('data'),
// res.on('finish'), ...) run in that scope (nodejs/node#41285): bound once per
// prototype when the first integration is created, not per request.
let listenersBound = false;
export function bindRequestListeners() {
  if (listenersBound) return;
  listenersBound = true;
  internals.bindPrototypeListeners(IncomingMessage.prototype, retarget);
  internals.bindPrototypeListeners(ServerResponse.prototype, retarget);
}

/** The request's state, or undefined when no integration has seen it. */
export function stateOf(req) {
  return req?.[kState];
}

/** pinoHttpOptions().genReqId: the request's id, minting it when the middleware has not run yet. */
export function requestIdOf(req) {
  const state = req[kState] ?? requestOfScope(current());
  if (state !== undefined) return state.id;
  minted ??= new WeakMap();
  let id = minted.get(req);
  if (id === undefined) minted.set(req, (id = generateRequestId()));
  return id;
}

function pickTrusted(inbound, indexes) {
  let picked;
  for (const index of indexes) {
    const name = FIELDS[index].name;
    if (inbound[name] !== undefined) (picked ??= {})[name] = inbound[name];
  }
  return picked;
}

/**
 * Per-request work of one compiled integration: start(req) makes (once per
 * request, whichever integration sees it first) the request's state.
 */
export function requestStarter(compiled, { reuse = false } = {}) {
  const { where, header, trust, fields, onError } = compiled;
  const readsBaggage = trust.all || trust.indexes.length > 0;
  const readsId = trust.requestId !== 'ignore';
  // An adopted id must fit the field limit; a parent id is not a field (the
  // pattern bounds it to 128 bytes).
  const idLimit = () => (trust.requestId === 'adopt' ? registry.maxValueBytes : 128);
  // A failing fields(req) costs the request its extra fields, not its
  // response: telemetry must never turn a 200 into a 500.
  const report = failureReporter(onError, 'MELLEA_HTTP_FIELDS', (error) =>
    `${where}: fields(req) failed, requests continue without the extra fields (pass onError to see every failure): ${error?.message ?? error}`);

  function extraFields(req, parent) {
    try {
      const extra = fields(req);
      if (extra === undefined || extra === null) return parent;
      if (typeof extra !== 'object' || Array.isArray(extra) || typeof extra.then === 'function') {
        throw argumentError('ERR_INVALID_ARG_TYPE', `fields(req) must return a plain object synchronously, got ${typeof extra?.then === 'function' ? 'a promise' : describeType(extra)}`);
      }
      return resolve(parent, extra);
    } catch (error) {
      report(error, req);
      return parent;
    }
  }

  /** The request's state. Never throws: every step has a fallback. */
  function start(req) {
    if (reuse) {
      const existing = req[kState];
      if (existing !== undefined) return existing;
    }
    const early = minted === undefined ? undefined : minted.get(req);
    let parent = current();
    let inboundId;
    if (readsId || readsBaggage) {
      const headers = req.headers;
      if (readsId) inboundId = acceptInboundId(headers[header], idLimit());
      if (readsBaggage) {
        const inbound = fieldsFromBaggage(readHeader(headers, 'baggage'));
        if (inbound !== EMPTY) {
          if (readsId) inboundId ??= acceptInboundId(inbound.request_id, idLimit());
          const taken = trust.all ? inbound : pickTrusted(inbound, trust.indexes);
          try {
            if (taken !== undefined) parent = resolve(parent, taken);
          } catch {
            // Values passed the C++ field rules; only a configure() race gets here.
          }
        }
      } else if (readsId && inboundId === undefined) {
        // The id may also come as a baggage member when only the id is trusted.
        const baggage = readHeader(headers, 'baggage');
        if (baggage !== undefined && baggage.includes('mellea.request_id')) {
          inboundId = acceptInboundId(fieldsFromBaggage(baggage).request_id, idLimit());
        }
      }
    }
    if (fields !== undefined) parent = extraFields(req, parent);
    let scope;
    let id;
    if (trust.requestId === 'adopt' && inboundId !== undefined) {
      id = inboundId;
      inboundId = undefined; // it is this request's id, not a parent's
      scope = childWith(parent, REQUEST_ID_INDEX, id);
    } else if (early !== undefined) {
      id = early; // minted by pinoHttpOptions().genReqId
      scope = childWith(parent, REQUEST_ID_INDEX, id);
    } else {
      scope = childWithFreshRequestId(parent);
      id = scope.values[REQUEST_ID_INDEX];
    }
    // Generated ids stay whole whatever configure({ maxValueBytes }) says
    // (a truncated id is a duplicate id): the scope's limit covers the id.
    if (scope.maxValueBytes < id.length) scope.maxValueBytes = id.length;
    const state = new RequestState(id, trust.requestId === 'ignore' ? undefined : inboundId, scope, req);
    // Fastify's hooks find the state on the raw request; Express/node:http
    // reach it through the request's scopes only (see kState).
    if (reuse) req[kState] = state;
    req.id = id;
    markScope(scope, state);
    return state;
  }

  return start;
}

/** Emits the 'start' hook; runs inside the request's scope. */
export function announceStart(state, req) {
  emitRequestScope(state.latest, req, state.info('start'));
}

function noRequest(where) {
  return argumentError(
    'ERR_MELLEA_NO_REQUEST',
    `${where}: not in a request's scope made by mellea-context/http (call it from a middleware or hook after contextMiddleware/withRequestContext/fastifyContext, outside any withContext/enterContext scope of your own; with Fastify, pass the request as second argument)`,
  );
}

function refusesRequestId(fields) {
  if (fields === null || typeof fields !== 'object') return;
  for (const key of Object.keys(fields)) {
    if (fields[key] !== undefined && registry.lookup(key)?.index === REQUEST_ID_INDEX) {
      throw new ContextFieldError('ERR_MELLEA_INVALID_VALUE', `Invalid value for request_id: addRequestFields cannot change a request's id (one id per request)`, 'request_id');
    }
  }
}

/**
 * Adds fields to the current request from here on: the rest of the current
 * async continuation and later middleware (like enterContext), and listeners
 * of the request bound earlier. Validates everything before changing anything.
 */
export function addRequestFields(fields, req) {
  const where = 'addRequestFields';
  if (req !== undefined && (req === null || typeof req !== 'object')) {
    throw argumentError('ERR_INVALID_ARG_TYPE', `${where}: req must be the request object, got ${describeType(req)}`);
  }
  const scope = current();
  const state = (req !== undefined ? stateOf(req) ?? stateOf(req.raw) : undefined) ?? requestOfScope(scope);
  if (state === undefined) throw noRequest(where);
  refusesRequestId(fields);
  // Every resolve may throw (invalid fields): all of them before any change.
  const latest = resolve(state.latest, fields);
  const entered = state.owns(scope) || scope.values[REQUEST_ID_INDEX] !== state.id ? latest : resolve(scope, fields);
  if (latest !== state.latest) {
    if (state.latest !== state.start) (state.between ??= []).push(state.latest);
    state.latest = latest;
    markScope(latest, state);
  }
  carrier.enterWith(entered);
  emitRequestScope(latest, state.req, state.info('fields'));
}

/** The caller's request id kept as a parent id (trustInbound.requestId 'parent'), or undefined. */
export function getInboundRequestId(req) {
  const state = (req !== undefined && req !== null ? stateOf(req) ?? stateOf(req.raw) : undefined) ?? requestOfScope(current());
  return state?.inboundRequestId;
}

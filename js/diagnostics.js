// Lost-context diagnostics (Node): off by default; on with
// configure({ diagnostics: true }) or { onLostContext(report) }, or with the
// environment variable MELLEA_DIAGNOSTICS=1. Reports each kind once per call
// site, with a stack, as a process warning (code MELLEA_LOST_CONTEXT) or to
// onLostContext:
//   'log-without-scope'  a log line written with no scope while HTTP requests
//                        are in flight (it belongs to one of them, but carries
//                        none of their fields);
//   'leaked-enter'       a scope entered with enterContext outside any
//                        withContext is current when an HTTP request starts:
//                        entered where the server was set up (every Node), or
//                        in an earlier request's handler where this Node keeps
//                        AsyncLocalStorage stores on async resources (Node
//                        20-22; 24+ with --no-async-context-frame), so a
//                        kept-alive socket carries it into the next request.
//                        Under AsyncContextFrame (Node 24+'s default) that
//                        second way does not happen: enterWith's scope ends
//                        with the callback it was called in;
//   'listener-scope'     an EventEmitter or EventTarget (AbortSignal) listener
//                        added inside a scope runs in another one (bindEmitter
//                        the emitter).
//
// Off costs one boolean: the logging hooks read `enabled` on their
// no-scope path only; everything else (the enterWith record, the
// EventEmitter listener checks, the HTTP request count) is installed when
// diagnostics are turned on and removed when they are turned off.
import { EventEmitter } from 'node:events';
import { channel as diagnosticsChannel } from 'node:diagnostics_channel';
import { internals } from './node/runtime.js';
import { storesOnAsyncResources } from './node/carrier.js';
import { argumentError, describeType } from './core/errors.js';
import { setDiagnosticsHandler } from './core/binding.js';

const { carrier, isEmpty } = internals;

/** The one flag the hooks check. Read it, never write it: use configure(). */
export let enabled = false;

const WARNING_CODE = 'MELLEA_LOST_CONTEXT';
let onLostContext;
let inFlight = 0;
const reported = new Set();
// Scopes made current by enterContext outside any frame: where, and
// whether requests were in flight then (in a handler, or at setup).
let enteredAt = new WeakMap();
// How this Node's AsyncLocalStorage keeps stores, probed once when first
// needed (js/node/carrier.js): on async resources (Node 20-22, and 24+ with
// --no-async-context-frame) or not (AsyncContextFrame: 24+'s default).
let storesOnResources;

/** The first stack frame in the caller's code: what "once per call site" keys on. */
function callSite(stack) {
  const lines = String(stack).split('\n').slice(1);
  for (const line of lines) {
    if (line.includes('node:') || line.includes(__dirname) || /[\\/]node_modules[\\/](pino|winston|piscina)[\\/]/.test(line)) continue;
    return line.trim();
  }
  return lines[0]?.trim() ?? '';
}

function report(kind, message, stack) {
  const key = `${kind} ${callSite(stack)}`;
  if (reported.has(key)) return;
  reported.add(key);
  const detail = { kind, message, stack: String(stack) };
  if (onLostContext !== undefined) {
    try {
      onLostContext(detail);
    } catch {
      // a failing reporter must not fail the code being diagnosed
    }
    return;
  }
  process.emitWarning(message, { code: WARNING_CODE, detail: detail.stack });
}

function stackHere(label) {
  const holder = { name: label };
  Error.captureStackTrace(holder, stackHere);
  return holder.stack;
}

/** Called by the logging hooks, only when enabled, for a line with no scope. */
export function noScopeLine() {
  if (inFlight <= 0) return;
  report('log-without-scope', `mellea-context: a log line was written with no context while ${inFlight} request(s) were in flight; run the code in the request's scope (withContext, bind, bindEmitter)`, stackHere('log line without context'));
}

/** Counts an inbound request as in flight (the node:http servers are counted automatically). */
export function requestStarted() {
  inFlight++;
}

/** Counts a request as finished. */
export function requestEnded() {
  if (inFlight > 0) inFlight--;
}

// --- enterContext outside any frame --------------------------------------

const ownEnterWith = Object.getOwnPropertyDescriptor(carrier, 'enterWith');
function recordingEnterWith(scope) {
  if (carrier.getStore() === undefined && scope !== undefined && !isEmpty(scope)) {
    enteredAt.set(scope, { stack: stackHere('enterContext outside withContext'), inRequest: inFlight > 0 });
  }
  return Reflect.apply(Object.getPrototypeOf(carrier).enterWith, carrier, [scope]);
}

// --- HTTP requests (node:http publishes these since Node 18.7) -----------

const requestStart = diagnosticsChannel('http.server.request.start');
function onRequestStart(message) {
  inFlight++;
  // Node's own once(), not the checking one: with a leaked scope current here,
  // our own counter would be reported as a listener run in another scope.
  const response = message.response;
  if (response !== undefined) (patched?.once?.original ?? EventEmitter.prototype.once).call(response, 'close', requestEnded);
  const leaked = carrier.getStore();
  if (leaked === undefined) return;
  const entered = enteredAt.get(leaked);
  if (entered !== undefined) report('leaked-enter', leakedEnterMessage(entered.inRequest), entered.stack);
}

function leakedEnterMessage(inRequest) {
  storesOnResources ??= storesOnAsyncResources();
  const how = inRequest && storesOnResources
    ? 'leaked into the next request on the same connection: this Node keeps AsyncLocalStorage stores on async resources (Node 20-22, or 24+ with --no-async-context-frame), so a scope entered in a handler stays on its kept-alive socket'
    : 'was current when an HTTP request started: it was entered where the server or the connection was set up, and every request on it inherits it';
  return `mellea-context: a scope entered with enterContext outside any withContext ${how}; run the handler in withContext/withRequestContext (the stack shows where it was entered)`;
}

// --- listeners that run in another scope ---------------------------------

const ADDERS = ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener'];
const CHECKED = Symbol('mellea-context.diagnosticsChecked');
let patched;

function firstFrame(stack) {
  const at = stack.indexOf('\n');
  return at === -1 ? '' : stack.slice(at + 1, stack.indexOf('\n', at + 1) >>> 0);
}

function checking(listener, adder) {
  const scope = carrier.getStore();
  // Outside a scope, or already bound (our wrappers and Node's once wrappers carry .listener): nothing to check.
  if (typeof listener !== 'function' || scope === undefined || isEmpty(scope) || typeof listener.listener === 'function') return listener;
  return checkedIn(scope, listener, adder, (self, args) => Reflect.apply(listener, self, args));
}

/** `call(this, args)` wrapped to report when it runs in a scope other than `scope`; undefined for Node's own adders. */
function checkedIn(scope, listener, adder, call) {
  const holder = { name: 'listener added here' };
  Error.captureStackTrace(holder, adder);
  const where = holder.stack;
  // Added by Node itself (events.once/on, stream.pipeline): its listener only
  // settles a promise or moves data, and the awaiting code keeps its scope.
  if (/\(node:|at node:/.test(firstFrame(where))) return listener;
  const checked = function listenerChecked(...args) {
    if (enabled && carrier.getStore() !== scope) {
      report('listener-scope', 'mellea-context: an event listener added inside a scope ran in another one; bindEmitter(emitter) makes it run in the scope it was added in (the stack shows where it was added)', where);
    }
    return call(this, args);
  };
  checked.listener = listener; // removal and listeners() still find the original
  checked[CHECKED] = true;
  return checked;
}

// EventTarget (AbortSignal, MessagePort...): the target finds a listener by
// identity, so the checked wrapper of each (target, type, capture, listener)
// is remembered for removal and for the target's own de-duplication.
const eventWrappers = new WeakMap();
let checkedEventListeners = false;
let keptRemover;
const eventKey = (type, options) => `${(typeof options === 'boolean' ? options : options?.capture === true) ? 'c' : 'b'}${String(type)}`;

function patchEventTargets() {
  const proto = EventTarget.prototype;
  const add = proto.addEventListener;
  if (keptRemover !== undefined) {
    // On again after off: the remover kept from last time is still in place.
    patched.addEventListener = { original: add, replacement: undefined, proto };
    patched.removeEventListener = keptRemover;
    keptRemover = undefined;
    patched.addEventListener.replacement = makeAddChecked(add);
    proto.addEventListener = patched.addEventListener.replacement;
    return;
  }
  const remove = proto.removeEventListener;
  const addChecked = makeAddChecked(add);
  const removeChecked = function removeEventListenerChecked(type, listener, options) {
    const byListener = eventWrappers.get(this)?.get(eventKey(type, options));
    const checked = byListener?.get(listener);
    if (checked === undefined) return remove.call(this, type, listener, options);
    byListener.delete(listener);
    return remove.call(this, type, checked, options);
  };
  patched.addEventListener = { original: add, replacement: addChecked, proto };
  patched.removeEventListener = { original: remove, replacement: removeChecked, proto };
  proto.addEventListener = addChecked;
  proto.removeEventListener = removeChecked;
}

function makeAddChecked(add) {
  return function addEventListenerChecked(type, listener, options) {
    const scope = carrier.getStore();
    if (listener === null || (typeof listener !== 'function' && typeof listener !== 'object') || typeof listener.listener === 'function' || scope === undefined || isEmpty(scope)) {
      return add.call(this, type, listener, options);
    }
    let byKey = eventWrappers.get(this);
    if (byKey === undefined) eventWrappers.set(this, (byKey = new Map()));
    const key = eventKey(type, options);
    let byListener = byKey.get(key);
    if (byListener === undefined) byKey.set(key, (byListener = new WeakMap()));
    const known = byListener.get(listener);
    if (known !== undefined) return add.call(this, type, known, options);
    const once = options !== null && typeof options === 'object' && options.once === true;
    const checked = checkedIn(scope, listener, addEventListenerChecked, (self, args) => {
      if (once) byListener.delete(listener);
      return typeof listener === 'function' ? Reflect.apply(listener, self, args) : listener.handleEvent(...args);
    });
    if (checked === listener) return add.call(this, type, listener, options);
    byListener.set(listener, checked);
    checkedEventListeners = true;
    const signal = options !== null && typeof options === 'object' ? options.signal : undefined;
    if (signal !== undefined && typeof signal.addEventListener === 'function') add.call(signal, 'abort', () => byListener.delete(listener), { once: true });
    return add.call(this, type, checked, options);
  };
}

function patchEmitters() {
  patched = {};
  const proto = EventEmitter.prototype;
  for (const method of ADDERS) {
    const original = proto[method];
    patched[method] = { original };
    const replacement = function addChecked(event, listener) {
      return original.call(this, event, checking(listener, addChecked));
    };
    patched[method].replacement = replacement;
    proto[method] = replacement;
  }
}

function unpatchEmitters() {
  const proto = EventEmitter.prototype;
  for (const method of ADDERS) {
    // Someone patched after us: leave theirs (ours stays inert while off).
    if (proto[method] === patched[method].replacement) proto[method] = patched[method].original;
  }
  for (const method of ['addEventListener', 'removeEventListener']) {
    const entry = patched[method];
    // A listener checked while on is registered as its wrapper: the checking
    // removeEventListener (which passes everything else through) stays until
    // the process ends, or such a listener could never be removed.
    if (method === 'removeEventListener' && checkedEventListeners) {
      keptRemover = entry;
      continue;
    }
    if (entry.proto[method] === entry.replacement) entry.proto[method] = entry.original;
  }
  patched = undefined;
}

// --- on and off ----------------------------------------------------------

function turnOn(callback) {
  onLostContext = callback;
  if (enabled) return;
  enabled = true;
  reported.clear();
  Object.defineProperty(carrier, 'enterWith', { value: recordingEnterWith, writable: true, configurable: true });
  requestStart.subscribe(onRequestStart);
  patchEmitters();
  patchEventTargets();
}

function turnOff() {
  if (!enabled) return;
  enabled = false;
  onLostContext = undefined;
  if (ownEnterWith === undefined) delete carrier.enterWith;
  else Object.defineProperty(carrier, 'enterWith', ownEnterWith);
  requestStart.unsubscribe(onRequestStart);
  unpatchEmitters();
  inFlight = 0;
  enteredAt = new WeakMap();
}

/**
 * configure({ diagnostics }): `true`, `false`, or `{ onLostContext }` (a
 * function receiving { kind, message, stack } instead of a process warning).
 * Validates, and returns the step that applies it.
 */
function diagnosticsOption(value) {
  if (value === true || value === false) return () => (value ? turnOn(undefined) : turnOff());
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const key of Object.keys(value)) {
      if (key !== 'onLostContext') throw argumentError('ERR_MELLEA_UNKNOWN_OPTION', `configure: unknown diagnostics option ${JSON.stringify(key)}; known: onLostContext`);
    }
    const callback = value.onLostContext;
    if (callback !== undefined && typeof callback !== 'function') {
      throw argumentError('ERR_MELLEA_INVALID_OPTION', `configure: diagnostics.onLostContext must be a function, got ${describeType(callback)}`);
    }
    return () => turnOn(callback);
  }
  throw argumentError('ERR_MELLEA_INVALID_OPTION', `configure: diagnostics must be true, false or { onLostContext }, got ${describeType(value)}`);
}

setDiagnosticsHandler(diagnosticsOption);
// globalThis: Cloudflare Workers with a compatibility date before 2024-09-23 have no `process`.
if (globalThis.process?.env?.MELLEA_DIAGNOSTICS === '1') turnOn(undefined);

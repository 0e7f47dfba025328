// mellea-context (browsers): the core API over the same C++ store, compiled
// to an ES-module wasm build that loads asynchronously. `await ready()` once;
// before that, getters answer "unset" (nothing can be set yet, and they never
// throw) and every other function throws ERR_MELLEA_NOT_READY.
import { createContextApi } from '../core/api.js';
import { Boundary } from '../core/boundary.js';
import { ContextFieldError, argumentError } from '../core/errors.js';
import { createCarrier } from './carrier.js';

export { ContextFieldError };
export const ERR_NOT_READY = 'ERR_MELLEA_NOT_READY';

const EMPTY = Object.freeze({});
let api;
let internals;
let loading;

function notReady(name) {
  return argumentError(ERR_NOT_READY, `mellea-context: ${name}() was called before the core finished loading; await ready() first`);
}

const decodeAscii = (bytes, start, end) => String.fromCharCode.apply(null, bytes.subarray(start, end));

async function load() {
  // Kept external by the build: the Emscripten ES-module glue next to this file.
  const { default: createMelleaCore } = await import('./mellea_core_web.js');
  const wasmUrl = new URL('./mellea_core_web.wasm', import.meta.url).href;
  const module = await createMelleaCore({ locateFile: () => wasmUrl });
  const made = createContextApi(createCarrier(), new Boundary(module, decodeAscii));
  api = made.api;
  internals = made.internals;
}

/** Loads and compiles the core once; later calls return the same promise. */
export function ready() {
  loading ??= load().catch((error) => {
    loading = undefined; // a failed fetch may be retried
    throw error;
  });
  return loading;
}

/**
 * For the web demo and tests: the loaded core's internals (the C++ JSON of a
 * scope, the carrier in use), or undefined before ready(). Not public API.
 */
export function browserInternals() {
  return internals;
}

// Stable functions (not rebound exports) so that code which took a reference
// before ready() keeps working after it.
export function withContext(fields, fn, ...args) {
  if (api === undefined) throw notReady('withContext');
  return api.withContext(fields, fn, ...args);
}

export function enterContext(fields) {
  if (api === undefined) throw notReady('enterContext');
  return api.enterContext(fields);
}

export function getSessionId() {
  return api === undefined ? undefined : api.getSessionId();
}

export function getRequestId() {
  return api === undefined ? undefined : api.getRequestId();
}

export function getModelId() {
  return api === undefined ? undefined : api.getModelId();
}

export function getSamplingIteration() {
  return api === undefined ? undefined : api.getSamplingIteration();
}

export function getField(name) {
  if (api === undefined) throw notReady('getField');
  return api.getField(name);
}

export function getCurrentContext() {
  return api === undefined ? EMPTY : api.getCurrentContext();
}

export function generateRequestId() {
  if (api === undefined) throw notReady('generateRequestId');
  return api.generateRequestId();
}

export function bind(fn) {
  if (api === undefined) throw notReady('bind');
  return api.bind(fn);
}

export function bindEmitter(emitter) {
  if (api === undefined) throw notReady('bindEmitter');
  return api.bindEmitter(emitter);
}

export function defineField(name, options) {
  if (api === undefined) throw notReady('defineField');
  return api.defineField(name, options);
}

export function configure(options) {
  if (api === undefined) throw notReady('configure');
  return api.configure(options);
}

export function storeStats() {
  if (api === undefined) throw notReady('storeStats');
  return api.storeStats();
}

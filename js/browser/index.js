// mellea-context (browsers): the core API over the same C++ store and the
// same wasm module as Node, compiled asynchronously. The glue is bundled into
// this file; the wasm is fetched from mellea_core.wasm next to it, through
// `new URL(..., import.meta.url)`, which webpack, Vite and esbuild-served
// apps resolve as an asset. (Inlined as base64 the page would carry 71.5 KB
// gzipped instead of about 55 KB: base64 compresses worse than the binary.)
// `await ready()` once;
// before that, getters answer "unset" (nothing can be set yet, and they never
// throw) and every other function throws ERR_MELLEA_NOT_READY.
import { createContextApi } from '../core/api.js';
import { Boundary } from '../core/boundary.js';
import { ContextFieldError, argumentError } from '../core/errors.js';
import { createCarrier } from './carrier.js';
import { instantiateAsync } from '../core/instantiate.js';
// Built by scripts/build.mjs before this bundle (esbuild inlines it).
import createMelleaCore from '../../dist/wasm/mellea_core.cjs';

export { ContextFieldError };
export const ERR_NOT_READY = 'ERR_MELLEA_NOT_READY';
export const ERR_WASM_LOAD = 'ERR_MELLEA_WASM_LOAD';

const EMPTY = Object.freeze({});
let api;
let internals;
let loading;

function notReady(name) {
  return argumentError(ERR_NOT_READY, `mellea-context: ${name}() was called before the core finished loading; await ready() first`);
}

async function load() {
  const response = await fetch(new URL('./mellea_core.wasm', import.meta.url));
  if (!response.ok) {
    // A bundler that copied no asset (esbuild: copy mellea_core.wasm next to the bundle, see README).
    throw argumentError(ERR_WASM_LOAD, `mellea-context: could not load mellea_core.wasm from ${response.url} (HTTP ${response.status}); serve it next to the module that imports mellea-context`);
  }
  const module = await instantiateAsync(createMelleaCore, new Uint8Array(await response.arrayBuffer()));
  const made = createContextApi(createCarrier(), new Boundary(module));
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

/** `api[name]` once the core is loaded; before that, ERR_MELLEA_NOT_READY. */
function whenReady(name) {
  return function callWhenReady(...args) {
    if (api === undefined) throw notReady(name);
    return api[name](...args);
  };
}

/** A getter: before the core is loaded nothing can be set, so `unset`. */
function readBeforeReady(name, unset) {
  return () => (api === undefined ? unset : api[name]());
}

export const withContext = whenReady('withContext');
export const enterContext = whenReady('enterContext');
export const getSessionId = readBeforeReady('getSessionId', undefined);
export const getRequestId = readBeforeReady('getRequestId', undefined);
export const getModelId = readBeforeReady('getModelId', undefined);
export const getSamplingIteration = readBeforeReady('getSamplingIteration', undefined);
export const getCurrentContext = readBeforeReady('getCurrentContext', EMPTY);
export const getField = whenReady('getField');
export const generateRequestId = whenReady('generateRequestId');
export const bind = whenReady('bind');
export const bindEmitter = whenReady('bindEmitter');
export const defineField = whenReady('defineField');
export const configure = whenReady('configure');
export const storeStats = whenReady('storeStats');

// The Cloudflare Workers (workerd) runtime: the same core API over the same
// wasm as Node, for a Worker with the nodejs_compat flag. scripts/build.mjs
// bundles the Node entry points with this module in place of
// js/node/runtime.js (dist/workerd/), so every Workers entry point shares
// this one instance and its one carrier.
// - The wasm: Workers refuse to compile WebAssembly from bytes at run time
//   (Node's build embeds base64 bytes; the browser build fetches the file).
//   A `.wasm` imported as a module is compiled by workerd when it loads the
//   Worker and arrives as a WebAssembly.Module (wrangler's default rule for
//   `**/*.wasm`; workerd's config: `wasm = embed "..."`), which is
//   instantiated synchronously here, so the API works right after import.
//   The import is left as it is written by the build, and the file is copied
//   next to the bundle (dist/workerd/mellea_core.wasm).
// - The carrier: workerd's own AsyncLocalStorage (node:async_hooks, under
//   nodejs_compat), used as is (js/node/carrier.js's getStore() fast path
//   reads Node internals workerd does not have).
import { AsyncLocalStorage } from 'node:async_hooks';
import { Boundary } from '../core/boundary.js';
import { createContextApi } from '../core/api.js';
import { instantiateSync } from '../core/instantiate.js';
// The glue linked with DYNAMIC_EXECUTION=0 (CMakeLists.txt): Workers refuse
// `new Function`, which embind's default glue calls while it loads.
// Built by scripts/build.mjs before this bundle (esbuild inlines it, as for browsers).
import createMelleaCore from '../../dist/wasm/mellea_core_noeval.cjs';
import wasm from './mellea_core.wasm';

const wasmModule = instantiateSync(createMelleaCore, wasm);

export const carrier = new AsyncLocalStorage();
export const { api, internals } = createContextApi(carrier, new Boundary(wasmModule));

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
//   The build leaves the import as written: from dist/workerd/ it names the
//   browsers' copy of the bytes, dist/browser/mellea_core.wasm (one file in
//   the tarball for both).
// - The carrier: workerd's own AsyncLocalStorage (node:async_hooks, under
//   nodejs_compat), used as is (js/node/carrier.js's getStore() fast path
//   reads Node internals workerd does not have). It has no enterWith(), so
//   enterContext() throws ERR_MELLEA_UNSUPPORTED, naming withContext.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Boundary } from '../core/boundary.js';
import { createContextApi } from '../core/api.js';
import { ERR_UNSUPPORTED, argumentError } from '../core/errors.js';
import { instantiateSync } from '../core/instantiate.js';
// The one glue, linked with DYNAMIC_EXECUTION=0 (CMakeLists.txt): Workers
// refuse `new Function`, which embind's default glue calls while it loads.
// Built by scripts/build.mjs before this bundle (esbuild inlines it, as for browsers).
import createMelleaCore from '../../dist/wasm/mellea_core.cjs';
import wasm from '../browser/mellea_core.wasm';

const wasmModule = instantiateSync(createMelleaCore, wasm);

export const carrier = new AsyncLocalStorage();
// An own property of this one instance (workerd's would throw a plain Error without a code).
carrier.enterWith = function enterWith() {
  throw argumentError(
    ERR_UNSUPPORTED,
    "mellea-context: enterContext() is not available on Cloudflare Workers (workerd's AsyncLocalStorage has no enterWith()); run the code inside withContext(fields, fn) instead",
  );
};
export const { api, internals } = createContextApi(carrier, new Boundary(wasmModule));

// The Node runtime: one wasm instance, compiled synchronously at load so the
// API works right after require/import, and Node's AsyncLocalStorage as the
// scope carrier (with is als.run, like OpenTelemetry's context manager).
// Built to CommonJS (dist/cjs); the ESM entry points re-export this same
// instance, so import and require never see two different stores.
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Boundary } from '../core/boundary.js';
import { createContextApi } from '../core/api.js';

// __dirname is dist/cjs/node once built; the wasm is in dist/wasm.
const wasmDir = join(__dirname, '..', '..', 'wasm');
// eslint-disable-next-line import/no-dynamic-require
const createMelleaCore = require(join(wasmDir, 'mellea_core_node.cjs'));

const wasmModule = { wasmBinary: readFileSync(join(wasmDir, 'mellea_core_node.wasm')) };
createMelleaCore(wasmModule);
if (typeof wasmModule.scopeCreate !== 'function') {
  throw new Error('mellea-context: the WebAssembly core did not initialize synchronously');
}

// Called on the Boundary's own id buffer, a Buffer in Node: latin1Slice as a
// method is a third cheaper than through .call on a plain Uint8Array.
const decodeAscii = (bytes, start, end) => bytes.latin1Slice(start, end);

export const carrier = new AsyncLocalStorage();
export const { api, internals } = createContextApi(carrier, new Boundary(wasmModule, decodeAscii, Buffer.allocUnsafeSlow));

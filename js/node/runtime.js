// The Node runtime: one wasm instance, compiled synchronously at load so the
// API works right after require/import, and Node's AsyncLocalStorage as the
// scope carrier (withContext is als.run, like OpenTelemetry's context manager;
// js/node/carrier.js).
// Built to CommonJS (dist/cjs); the ESM entry points re-export this same
// instance, so import and require never see two different stores. The wasm
// is reached through two static require() calls of files in dist/wasm (glue
// and base64 bytes), so esbuild and webpack bundle a service without flags.
import { Boundary } from '../core/boundary.js';
import { createContextApi } from '../core/api.js';
import { decodeBase64, instantiateSync, instantiateTextChanges } from '../core/instantiate.js';
import { createCarrier } from './carrier.js';

// From dist/cjs/node/runtime.js; this file only runs compiled to CommonJS.
const createMelleaCore = require('../../wasm/mellea_core.cjs');
const wasmBase64 = require('../../wasm/mellea_core_wasm.cjs');

const textChangesBase64 = require('../../wasm/text_changes_wasm.cjs');

const wasmModule = instantiateSync(createMelleaCore, new WebAssembly.Module(decodeBase64(wasmBase64)));
// One crossing that also writes the text, where this engine lets wasm read JS strings (Node 22+, Deno, Bun).
const textChanges = instantiateTextChanges(wasmModule, decodeBase64(textChangesBase64));

export const carrier = createCarrier();
export const { api, internals } = createContextApi(carrier, new Boundary(wasmModule, textChanges));

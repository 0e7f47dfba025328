// Instantiates the core's one WebAssembly module, for Node, browsers and
// Cloudflare Workers alike: the Emscripten glue (dist/wasm/mellea_core.cjs)
// is given the wasm through its instantiateWasm hook, so it never fetches
// or reads a file (which is what lets bundlers take the package without
// flags). Synchronous when `sync` (Node: the API works right after
// require(); Workers: from the WebAssembly.Module the runtime compiled when
// it loaded the Worker, since Workers refuse to compile bytes at run time),
// asynchronous otherwise (browsers compile large modules off the main
// thread only asynchronously).
import { TEXT_NOT_WRITTEN } from './status.js';

/** The wasm bytes from their base64 text (dist/wasm/mellea_core_wasm.cjs). */
export function decodeBase64(text) {
  if (globalThis.Buffer !== undefined) return globalThis.Buffer.from(text, 'base64');
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Module options for createMelleaCore: `wasm` is a compiled WebAssembly.Module when `sync`, else the bytes. */
function options(wasm, sync) {
  const module = {
    instantiateWasm(imports, receiveInstance) {
      if (sync) {
        const instance = new WebAssembly.Instance(wasm, imports);
        // Its memory, for instantiateTextChanges to import.
        module.memory = Object.values(instance.exports).find((value) => value instanceof WebAssembly.Memory);
        receiveInstance(instance);
        return instance.exports;
      }
      WebAssembly.instantiate(wasm, imports).then((result) => receiveInstance(result.instance));
      return {};
    },
    // The core never prints; should it, a library must not write to the host's console.
    print() {},
    printErr() {},
  };
  return module;
}

/**
 * The instantiated module, ready to call, from a compiled WebAssembly.Module
 * (Node compiles its bytes first; Workers get the module compiled). Taking
 * only a module keeps the compile out of the browser bundle, which never
 * calls this.
 */
export function instantiateSync(createMelleaCore, compiled) {
  const module = options(compiled, true);
  createMelleaCore(module);
  if (typeof module._mellea_scope_create !== 'function') {
    throw new Error('mellea-context: the WebAssembly core did not initialize synchronously');
  }
  return module;
}

/** A promise of the instantiated module from the wasm bytes (browsers). */
export function instantiateAsync(createMelleaCore, bytes) {
  return createMelleaCore(options(bytes, false));
}

/**
 * The fresh-scope crossing (src/text_changes.wat) beside the core `module`
 * instantiateSync made, from its bytes; undefined where the engine has no
 * JS String Builtins (Node 20: the module's `wasm:js-string` imports
 * then go unmet) or the module does not answer its probe as it should.
 * Callers then write every text in JS (js/core/boundary.js).
 */
export function instantiateTextChanges(module, bytes) {
  try {
    // Handle -1 is no scope (the core's answer, as for its own probe), and
    // a lone surrogate is left to JS. Called once first: the glue's
    // _mellea_scope_create is a JS function that puts the wasm export in its
    // place on its first call, and the export is what to import (a call from
    // wasm to wasm; through the JS function it was slower than the JS path).
    const stale = module._mellea_scope_create(-1, 0, 0);
    const input = module.inputArea();
    const core = { memory: module.memory, scopeCreate: module._mellea_scope_create, input, inputEnd: input + module.inputCapacity() };
    const textChanges = new WebAssembly.Instance(new WebAssembly.Module(bytes, { builtins: ['js-string'] }), { core }).exports;
    if (textChanges.scopeWithText(-1, 0, 'a') !== stale || textChanges.scopeWithText(-1, 0, 'é\ud800') !== TEXT_NOT_WRITTEN) return undefined;
    return textChanges;
  } catch {
    return undefined;
  }
}

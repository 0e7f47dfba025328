// The fresh-scope crossing where WebAssembly reads JavaScript strings itself
// (src/text_changes.wat, js/core/text-scopes.js): in use wherever the engine
// has the JS String Builtins (Node 22 and later), and then storing exactly
// what the JS write stores, refusing exactly what it refuses, with the same
// error. Compared against a second instance of the core and API built
// without it, over every kind of text and both one- and two-field inputs.
// Runs on every Node of the matrix; on Node 20 both sides take the JS write.
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { withContext } from 'mellea-context';
import { internals } from './helpers/internals.mjs';

const require = createRequire(import.meta.url);
const { createContextApi } = require('../dist/cjs/core/api.js');
const { Boundary } = require('../dist/cjs/core/boundary.js');
const { decodeBase64, instantiateSync } = require('../dist/cjs/core/instantiate.js');

/** Whether this engine has the JS String Builtins (a module importing one links with no imports given). */
function engineHasStringBuiltins() {
  // (module (import "wasm:js-string" "length" (func (param externref) (result i32))))
  const bytes = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x6f, 0x01, 0x7f, 0x02, 0x19, 0x01, 0x0e, ...new TextEncoder().encode('wasm:js-string'), 0x06,
    ...new TextEncoder().encode('length'), 0x00, 0x00,
  ]);
  try {
    new WebAssembly.Instance(new WebAssembly.Module(bytes, { builtins: ['js-string'] }), {});
    return true;
  } catch {
    return false;
  }
}

/** An API over a core of its own, without the crossing (text always written in JS). */
function apiWithoutTextChanges() {
  const core = instantiateSync(require('../dist/wasm/mellea_core.cjs'), new WebAssembly.Module(decodeBase64(require('../dist/wasm/mellea_core_wasm.cjs'))));
  const { api, internals: own } = createContextApi(new AsyncLocalStorage(), new Boundary(core));
  assert.equal(own.boundary.textChanges, undefined);
  return { withContext: api.withContext, json: () => own.jsonOf(own.current()) };
}

const outcome = (run, input) => {
  try {
    return { json: run(input) };
  } catch (error) {
    return { name: error.name, code: error.code, message: error.message };
  }
};

describe('the fresh-scope crossing', () => {
  it('is in use wherever the engine has the JS String Builtins (Node 22 and later), and only there', () => {
    const has = engineHasStringBuiltins();
    if (Number(process.versions.node.split('.')[0]) >= 22) assert.ok(has, 'Node 22 and later have the JS String Builtins');
    assert.equal(internals.boundary.textChanges !== undefined, has);
  });

  it('stores and refuses exactly what the JS write does, one field and two', () => {
    const plain = apiWithoutTextChanges();
    const texts = [
      '', 'a', 's-1', 'x'.repeat(255), 'x'.repeat(256), 'x'.repeat(257), 'sess-0123456789abcdef01', '0123456789abcdef0123456789abcdef',
      'tab\there', 'nul\u0000', 'del\u007f', 'c1\u0085', 'sé-1', '𝒳 session', 'lone \ud800', 'lone end \udc00', 'zero\u200bwidth', '\u2028line',
      'a'.repeat(200) + 'é', 'é'.repeat(200), '𝒳'.repeat(64), 'x'.repeat(255) + '\u0085', '~!@#$%^&*()_+{}|:"<>?`-=[]\\;\',./',
    ];
    const others = [undefined, null, 7, true, 'm-1', 'é'];
    const inputs = [];
    for (const text of texts) {
      inputs.push(text, { sessionId: text }, { requestId: text }, { model_id: text });
      for (const other of others) inputs.push({ sessionId: text, requestId: other }, { modelId: other, session_id: text });
      inputs.push({ sessionId: text, session_id: text }, { sessionId: text, nope: 'x' }, { sampling_iteration: text, sessionId: text });
    }
    const ours = (input) => withContext(input, () => internals.jsonOf(internals.current()));
    const theirs = (input) => plain.withContext(input, plain.json);
    for (const [round, parent] of [{}, { modelId: 'parent-model' }, { requestId: 'parent-request', sessionId: 'parent' }].entries()) {
      for (const input of inputs) {
        // Three times each: the first sighting, the core's repeat, the memo's hit.
        for (let i = 0; i < 3; i++) {
          const expected = plain.withContext(parent, () => outcome(theirs, input));
          const seen = withContext(parent, () => outcome(ours, input));
          assert.deepEqual(seen, expected, `round ${round}, ${JSON.stringify(input)}`);
        }
      }
    }
  });

  it('a parent the store evicted meanwhile is stored again, its child made as before', () => {
    withContext({ sessionId: 'kept-parent', modelId: 'm' }, () => {
      const parent = internals.current();
      // Fill the ring: the parent's slot is reused.
      for (let i = 0; i < 20_000; i++) withContext({ requestId: `filler-${i}` }, () => {});
      withContext({ sessionId: 'fresh-child' }, () => {
        assert.equal(internals.current().handle !== parent.handle, true);
        assert.equal(internals.storedJsonOf(internals.current()), '{"session_id":"fresh-child","model_id":"m"}');
      });
      withContext({ sessionId: 'two', requestId: 'fields' }, () => {
        assert.equal(internals.storedJsonOf(internals.current()), '{"session_id":"two","request_id":"fields","model_id":"m"}');
      });
    });
  });
});

// Bad input, every rule: the right code, nothing runs, the scope is unchanged
// and the module keeps working afterwards.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ContextFieldError,
  bind,
  configure,
  defineField,
  enterContext,
  getCurrentContext,
  getSessionId,
  withContext,
} from 'mellea-context';
import { internals, storedJson } from './helpers/internals.mjs';

/** Asserts `fields` is refused with `code`, without running fn or changing the scope. */
function refused(fields, code, pattern) {
  withContext({ session_id: 'before', model_id: 'm' }, () => {
    let ran = false;
    assert.throws(
      () => withContext(fields, () => { ran = true; }),
      (error) => {
        assert.ok(error instanceof ContextFieldError, `${error}`);
        assert.ok(error instanceof TypeError);
        assert.equal(error.code, code);
        if (pattern) assert.match(error.message, pattern);
        return true;
      },
    );
    assert.throws(() => enterContext(fields), { code });
    assert.equal(ran, false);
    assert.deepEqual(getCurrentContext(), { session_id: 'before', model_id: 'm' });
  });
  assert.deepEqual(getCurrentContext(), {});
  // The module works normally afterwards.
  withContext({ session_id: 'after', sampling_iteration: 1 }, () => {
    assert.equal(storedJson(), '{"session_id":"after","sampling_iteration":1}');
  });
}

const INVALID = 'ERR_MELLEA_INVALID_VALUE';

describe('wrong types', () => {
  const cases = {
    number: 42,
    boolean: true,
    object: { id: 's' },
    array: ['s'],
    symbol: Symbol('s'),
    bigint: 10n,
    function: () => 's',
  };
  for (const [name, value] of Object.entries(cases)) {
    it(`a ${name} as a string field`, () => refused({ session_id: value }, INVALID, /session_id: expected a string/));
  }
  for (const [name, value] of Object.entries({ string: '1', float: 1.5, NaN: Number.NaN, Infinity: Infinity, bigint: 1n, boolean: false })) {
    it(`a ${name} as sampling_iteration`, () => refused({ sampling_iteration: value }, INVALID, /sampling_iteration/));
  }
  it('a non-object, non-string fields argument', () => {
    for (const fields of [42, true, ['s'], null, Symbol('s')]) {
      assert.throws(() => withContext(fields, () => assert.fail('ran')), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    }
  });
});

describe('strings', () => {
  it('empty', () => refused({ model_id: '' }, INVALID, /must not be empty/));
  it('empty as the session string form', () => refused('', INVALID, /session_id/));
  it('counts UTF-8 bytes, not UTF-16 units: 128 x é passes, 129 fails', () => {
    withContext({ session_id: 'é'.repeat(128) }, () => assert.equal(getSessionId(), 'é'.repeat(128)));
    refused({ session_id: 'é'.repeat(129) }, INVALID, /at most 256 UTF-8 bytes, got 258/);
    withContext({ session_id: 'a'.repeat(256) }, () => assert.equal(getSessionId().length, 256));
    refused({ session_id: 'a'.repeat(257) }, INVALID, /at most 256/);
    refused({ session_id: '😀'.repeat(65) }, INVALID, /got 260/);
  });
  it('control characters: C0, DEL, C1, ANSI escapes, CR/LF, NUL', () => {
    for (const bad of ['a\nb', 'a\r\nb', 'nul\u0000', 'tab\t', '\u001b[31mred', 'del\u007f', 'c1\u0085', 'c1\u009b31m']) {
      refused({ request_id: bad }, INVALID, /control character/);
    }
  });
  it('lone surrogates are refused, not silently corrupted', () => {
    for (const bad of ['a\uD800b', '\uDC00', 'x\uD83D']) refused({ session_id: bad }, INVALID, /lone surrogate/);
    withContext({ session_id: 'ok😀' }, () => assert.equal(storedJson(), '{"session_id":"ok😀"}'));
  });
  it('non-ASCII printable text is accepted and serialized exactly', () => {
    withContext({ model_id: 'grânite-4.0 «β» 模型' }, () => {
      assert.equal(JSON.parse(storedJson()).model_id, 'grânite-4.0 «β» 模型');
    });
  });
});

describe('integers', () => {
  it('sampling_iteration accepts 0..2^31-1 only', () => {
    withContext({ sampling_iteration: 2 ** 31 - 1 }, () => assert.equal(JSON.parse(storedJson()).sampling_iteration, 2 ** 31 - 1));
    refused({ sampling_iteration: 2 ** 31 }, INVALID, /from 0 to 2147483647/);
    refused({ sampling_iteration: -1 }, INVALID, /from 0 to 2147483647/);
  });
});

describe('names', () => {
  it('__proto__ and constructor are unknown fields and pollute nothing', () => {
    refused(JSON.parse('{"__proto__": {"polluted": true}}'), 'ERR_MELLEA_UNKNOWN_FIELD', /'__proto__'/);
    refused({ constructor: 's' }, 'ERR_MELLEA_UNKNOWN_FIELD', /'constructor'/);
    refused({ toString: 's' }, 'ERR_MELLEA_UNKNOWN_FIELD');
    assert.equal({}.polluted, undefined);
    assert.equal(Object.prototype.polluted, undefined);
  });
  it('an object that inherits its fields is refused, not half-read', () => {
    const fields = Object.create({ session_id: 'inherited' });
    fields.model_id = 'own';
    assert.throws(() => withContext(fields, () => assert.fail('ran')), { code: 'ERR_INVALID_ARG_TYPE', message: /inherits from another object/ });
    // A null-prototype object is plain.
    const bare = Object.assign(Object.create(null), { model_id: 'own' });
    withContext(bare, () => assert.deepEqual(getCurrentContext(), { model_id: 'own' }));
  });
  it("a polluted Object.prototype (an enumerable key every object inherits) neither becomes a field nor breaks a scope", () => {
    Object.prototype.polluter = 'x'; // eslint-disable-line no-extend-native
    try {
      for (let round = 0; round < 3; round++) {
        withContext({ sessionId: 'own-1' }, () => assert.deepEqual(getCurrentContext(), { session_id: 'own-1' }));
        withContext({ sessionId: `own-${round}`, modelId: 'm' }, () => assert.deepEqual(getCurrentContext(), { session_id: `own-${round}`, model_id: 'm' }));
      }
    } finally {
      delete Object.prototype.polluter;
    }
  });
  it('both spellings of one field in one call', () => {
    refused({ session_id: 'a', sessionId: 'a' }, INVALID, /given twice/);
    refused({ samplingIteration: 1, sampling_iteration: 2 }, INVALID, /given twice/);
  });
  it('all unknown names are listed at once', () => {
    refused({ a: 1, b: 2, session_id: 's' }, 'ERR_MELLEA_UNKNOWN_FIELD', /\['a', 'b'\]/);
  });
  it('unknown names win over bad values (nothing is half-checked)', () => {
    refused({ session_id: 5, nope: 1 }, 'ERR_MELLEA_UNKNOWN_FIELD');
  });
});

describe('arguments', () => {
  it('a non-function fn is a TypeError with ERR_INVALID_ARG_TYPE and nothing changes', () => {
    for (const fn of [undefined, null, 42, 'fn', {}, Promise.resolve()]) {
      assert.throws(() => withContext('s', fn), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    }
    assert.equal(getSessionId(), undefined);
  });
  it('configure rejects unknown options and bad values, changing nothing', () => {
    assert.throws(() => configure({ maxValueBytes: 64, nope: 1 }), { name: 'TypeError', code: 'ERR_MELLEA_UNKNOWN_OPTION' });
    withContext({ session_id: 'a'.repeat(200) }, () => {}); // limit is still 256
    for (const bad of [0, -1, 1.5, '64', 70000, null]) {
      assert.throws(() => configure({ maxValueBytes: bad }), { code: 'ERR_MELLEA_INVALID_OPTION' });
    }
    assert.throws(() => configure(null), { code: 'ERR_INVALID_ARG_TYPE' });
  });
  it('configure({ maxValueBytes }) changes the limit for new scopes, cached ones included', () => {
    const fields = { session_id: 'x'.repeat(100) };
    withContext(fields, () => {});
    withContext(fields, () => {}); // now cached
    const readLater = withContext(fields, () => bind(() => storedJson()));
    try {
      configure({ maxValueBytes: 64 });
      // A scope accepted before the change still serializes in the C++ store.
      assert.equal(readLater(), JSON.stringify(fields));
      refused(fields, INVALID, /at most 64 UTF-8 bytes, got 100/);
      withContext({ session_id: 'é'.repeat(32) }, () => {});
      refused({ session_id: 'é'.repeat(33) }, INVALID, /at most 64/);
      configure({ maxValueBytes: 1024 });
      withContext({ session_id: 'y'.repeat(1000) }, () => assert.equal(JSON.parse(storedJson()).session_id.length, 1000));
    } finally {
      configure({ maxValueBytes: 256 });
    }
  });
  it('a scope larger than the store takes is refused with a code, and nothing moves (finding 1)', () => {
    // Five fields of 64 KiB that JSON escapes to twice their size: once the
    // core's buffer moved under JS here and later calls wrote into freed
    // memory. Now the transfer areas are fixed and such a scope is refused.
    defineField('big_one', { type: 'string' });
    defineField('big_two', { type: 'string' });
    const input = internals.boundary.input;
    const heap = internals.boundary.heap.buffer.byteLength;
    try {
      configure({ maxValueBytes: 65536 });
      const big = { session_id: '\\'.repeat(65536), request_id: '"'.repeat(65536), model_id: '\\'.repeat(65536), big_one: '"'.repeat(65536), big_two: '\\'.repeat(65536) };
      assert.throws(() => withContext(big, () => assert.fail('ran')), { code: 'ERR_MELLEA_INVALID_VALUE', message: /larger than the store takes/ });
      const one = { session_id: '"'.repeat(30000) };
      withContext(one, () => assert.equal(storedJson(), JSON.stringify(one)));
      for (let i = 0; i < 3; i++) {
        const next = { session_id: `after-${i}`, model_id: 'ü'.repeat(30000 + i) };
        withContext(next, () => assert.equal(storedJson(), JSON.stringify(next)));
      }
      assert.throws(() => withContext({ session_id: '\n' }, () => {}), { code: 'ERR_MELLEA_INVALID_VALUE' });
      withContext({ session_id: 'sessão' }, () => assert.equal(storedJson(), '{"session_id":"sessão"}'));
    } finally {
      configure({ maxValueBytes: 256 });
    }
    assert.equal(internals.boundary.input, input);
    assert.equal(internals.boundary.heap.buffer.byteLength, heap);
  });

});

// A remembered child (the same fields seen twice under one parent) is found
// by a walk over the caller's object before any other check: the object must
// still be a plain one with those fields as its own keys to match.
describe('remembered children', () => {
  const remember = () => {
    for (let i = 0; i < 3; i++) withContext({ session_id: 's-memo' }, () => {});
  };
  it('a class instance with the same own fields is refused, not given the remembered child', () => {
    remember();
    class Fields {
      constructor() {
        this.session_id = 's-memo';
      }
    }
    assert.throws(() => withContext(new Fields(), () => {}), { code: 'ERR_INVALID_ARG_TYPE' });
  });
  it('an array or an object with more keys than there are fields is refused without reading past the field count', () => {
    remember();
    // withContext walks an object once; it stops after as many keys as
    // there are fields, so a big array is refused at once, not walked.
    assert.throws(() => withContext(new Array(1_000_000).fill('s'), () => {}), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => enterContext(new Array(1000).fill('s')), { code: 'ERR_INVALID_ARG_TYPE' });
    let reads = 0;
    class Many {
      constructor() {
        for (let i = 0; i < 1000; i++) Object.defineProperty(this, `k${i}`, { enumerable: true, get: () => ++reads });
      }
    }
    assert.throws(() => withContext(new Many(), () => assert.fail('ran')), { code: 'ERR_INVALID_ARG_TYPE', message: /an instance of Many/ });
    const fieldCount = internals.registry.fields.length;
    assert.ok(reads <= fieldCount, `read ${reads} of its 1000 getters (${fieldCount} fields)`);
    // A plain object with more keys than fields: its unknown ones, named.
    const many = { session_id: 's' };
    for (let i = 0; i < fieldCount; i++) many[`x${i}`] = i;
    assert.throws(() => withContext(many, () => {}), { code: 'ERR_MELLEA_UNKNOWN_FIELD', message: /Unknown context fields: \['x0', 'x1', / });
  });
  it('an object whose fields are inherited is refused', () => {
    remember();
    assert.throws(() => withContext(Object.create({ session_id: 's-memo' }), () => {}), { code: 'ERR_INVALID_ARG_TYPE' });
  });
  it('a null-prototype object with the same fields still runs in them', () => {
    remember();
    const fields = Object.assign(Object.create(null), { session_id: 's-memo' });
    assert.equal(withContext(fields, () => getSessionId()), 's-memo');
    assert.equal(withContext({ session_id: 's-memo' }, () => getSessionId()), 's-memo');
  });
});

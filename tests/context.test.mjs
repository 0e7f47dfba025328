// The behaviours of mellea.telemetry.context and its Python tests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ContextFieldError,
  generateRequestId,
  getCurrentContext,
  getField,
  getModelId,
  getRequestId,
  getSamplingIteration,
  getSessionId,
  ready,
  withContext,
} from 'mellea-context';
import { runChecked } from './helpers/child.mjs';
import { currentJson, internals, storedJson } from './helpers/internals.mjs';

describe('getters', () => {
  it('default to undefined outside any scope', () => {
    assert.equal(getSessionId(), undefined);
    assert.equal(getRequestId(), undefined);
    assert.equal(getModelId(), undefined);
    assert.equal(getSamplingIteration(), undefined);
    assert.deepEqual(getCurrentContext(), {});
  });

  it('read every field set by withContext', () => {
    withContext({ session_id: 's-1', request_id: 'r-1', model_id: 'granite', sampling_iteration: 3 }, () => {
      assert.equal(getSessionId(), 's-1');
      assert.equal(getRequestId(), 'r-1');
      assert.equal(getModelId(), 'granite');
      assert.equal(getSamplingIteration(), 3);
      assert.equal(getField('model_id'), 'granite');
      assert.equal(getField('samplingIteration'), 3);
    });
  });

  it('ready() resolves at once in Node', async () => {
    assert.equal(await ready(), undefined);
  });
});

describe('getCurrentContext', () => {
  it('omits unset fields and uses canonical keys for camelCase input', () => {
    withContext({ sessionId: 's-1', modelId: 'granite' }, () => {
      assert.deepEqual(getCurrentContext(), { session_id: 's-1', model_id: 'granite' });
    });
  });

  it('is frozen, so a caller cannot change what others see', () => {
    withContext('s-1', () => {
      const ctx = getCurrentContext();
      assert.ok(Object.isFrozen(ctx));
      assert.throws(() => {
        'use strict';
        ctx.session_id = 'other';
      }, TypeError);
      assert.equal(getSessionId(), 's-1');
      assert.ok(Object.isFrozen(getCurrentContext()));
    });
    assert.ok(Object.isFrozen(getCurrentContext()));
  });

  it('keeps sampling_iteration 0 (a set value, not unset)', () => {
    withContext({ sampling_iteration: 0 }, () => {
      assert.deepEqual(getCurrentContext(), { sampling_iteration: 0 });
    });
  });

  it('matches the JSON the C++ store serializes for the scope', () => {
    withContext({ model_id: 'gränite "x"', session_id: 's 1', sampling_iteration: 7 }, () => {
      assert.equal(storedJson(), JSON.stringify({ session_id: 's 1', model_id: 'gränite "x"', sampling_iteration: 7 }));
      assert.equal(currentJson(), storedJson());
      assert.deepEqual(JSON.parse(currentJson()), getCurrentContext());
    });
  });

  it('printable values: the core writes the bytes JSON.stringify writes', () => {
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    let compared = 0;
    for (let round = 0; round < 300; round++) {
      const pick = (n) => Array.from({ length: 1 + ((round * 7 + n) % 40) }, (_, k) => printable[(round * 31 + k * 17 + n) % printable.length]).join('');
      const fields = { session_id: pick(1), model_id: pick(2), sampling_iteration: (round * 7919) % 2 ** 31 };
      if (round % 3 === 0) delete fields.model_id;
      if (round % 5 === 0) fields.request_id = pick(3);
      withContext(fields, () => {
        // One serializer: the core's JSON, in registry order, equals JSON.stringify's for these values.
        const ordered = {};
        for (const key of ['session_id', 'request_id', 'model_id', 'sampling_iteration']) if (fields[key] !== undefined) ordered[key] = fields[key];
        assert.equal(currentJson(), JSON.stringify(ordered));
        compared++;
      });
    }
    assert.ok(compared > 100, `only ${compared} scopes compared`);
    for (const tricky of ['a"b', 'back\\slash', 'é', '😀']) {
      withContext({ session_id: tricky }, () => assert.equal(currentJson(), JSON.stringify({ session_id: tricky })));
    }
  });
});

describe('withContext', () => {
  it('a string means session_id', () => {
    withContext('s-9', () => assert.deepEqual(getCurrentContext(), { session_id: 's-9' }));
  });

  it('sets and restores', () => {
    withContext({ session_id: 's-1' }, () => assert.equal(getSessionId(), 's-1'));
    assert.equal(getSessionId(), undefined);
  });

  it('nests: inner scopes inherit and override, outer values come back', () => {
    withContext({ session_id: 'outer', model_id: 'm-1' }, () => {
      withContext({ session_id: 'inner', sampling_iteration: 1 }, () => {
        assert.deepEqual(getCurrentContext(), { session_id: 'inner', model_id: 'm-1', sampling_iteration: 1 });
      });
      assert.deepEqual(getCurrentContext(), { session_id: 'outer', model_id: 'm-1' });
    });
  });

  it('null or undefined unsets a field inside the scope only', () => {
    withContext({ session_id: 's', model_id: 'm' }, () => {
      withContext({ model_id: null }, () => assert.deepEqual(getCurrentContext(), { session_id: 's' }));
      withContext({ session_id: undefined }, () => assert.deepEqual(getCurrentContext(), { model_id: 'm' }));
      assert.deepEqual(getCurrentContext(), { session_id: 's', model_id: 'm' });
    });
  });

  it('withContext({}, fn) just runs fn in the current scope', () => {
    withContext('s', () => {
      assert.equal(withContext({}, () => getSessionId()), 's');
    });
  });

  it('returns what fn returns, passes extra arguments and this-less calls', () => {
    assert.equal(withContext('s', (a, b) => `${getSessionId()}:${a + b}`, 2, 3), 's:5');
  });

  it('passes a Promise through unchanged', async () => {
    const promise = Promise.resolve(42);
    assert.equal(withContext('s', () => promise), promise);
    assert.equal(await withContext('s', async () => getSessionId()), 's');
  });

  it('restores the outer scope after a throw', () => {
    withContext('outer', () => {
      assert.throws(() => withContext('inner', () => {
        throw new Error('boom');
      }), /boom/);
      assert.equal(getSessionId(), 'outer');
    });
    assert.equal(getSessionId(), undefined);
  });

  it('restores after an async rejection', async () => {
    await withContext('outer', async () => {
      await assert.rejects(withContext('inner', async () => {
        await sleep(1);
        throw new Error('boom');
      }), /boom/);
      assert.equal(getSessionId(), 'outer');
    });
  });

  it('re-entering the same fields many times gives the same values (scope cache)', () => {
    for (let i = 0; i < 10; i++) {
      withContext({ session_id: 's', model_id: 'm' }, () => {
        withContext({ sampling_iteration: i % 3 }, () => {
          assert.deepEqual(getCurrentContext(), { session_id: 's', model_id: 'm', sampling_iteration: i % 3 });
        });
      });
    }
  });

  it('the scope cache tells values of different types apart', () => {
    for (let i = 0; i < 3; i++) {
      withContext({ sampling_iteration: 1 }, () => assert.equal(getSamplingIteration(), 1));
      assert.throws(() => withContext({ sampling_iteration: '1' }, () => {}), { code: 'ERR_MELLEA_INVALID_VALUE' });
      withContext({ session_id: '1' }, () => assert.equal(getSessionId(), '1'));
      assert.throws(() => withContext({ session_id: 1 }, () => {}), { code: 'ERR_MELLEA_INVALID_VALUE' });
    }
  });
});

describe('unknown fields', () => {
  it('are rejected with the mellea message naming them and the valid fields', () => {
    assert.throws(
      () => withContext({ user_id: 'u', session_id: 's' }, () => assert.fail('must not run')),
      (error) => {
        assert.ok(error instanceof ContextFieldError);
        assert.ok(error instanceof TypeError);
        assert.equal(error.code, 'ERR_MELLEA_UNKNOWN_FIELD');
        assert.match(error.message, /^Unknown context fields: \['user_id'\]\. Valid fields: \[.*'session_id'.*\]/);
        for (const name of ['model_id', 'request_id', 'sampling_iteration', 'session_id']) assert.match(error.message, new RegExp(name));
        return true;
      },
    );
  });

  it('getField throws the same error for an unknown name', () => {
    assert.throws(() => getField('nope'), { code: 'ERR_MELLEA_UNKNOWN_FIELD' });
  });
});

describe('concurrency', () => {
  it('concurrent async tasks each see only their own fields', async () => {
    const seen = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        withContext({ session_id: `s-${i}`, sampling_iteration: i }, async () => {
          await sleep(Math.floor(Math.random() * 5));
          const first = getCurrentContext();
          await withContext({ model_id: `m-${i}` }, async () => {
            await sleep(Math.floor(Math.random() * 5));
            assert.deepEqual(getCurrentContext(), { session_id: `s-${i}`, model_id: `m-${i}`, sampling_iteration: i });
          });
          await sleep(1);
          return [first, getCurrentContext()];
        }),
      ),
    );
    seen.forEach(([first, last], i) => {
      assert.deepEqual(first, { session_id: `s-${i}`, sampling_iteration: i });
      assert.deepEqual(last, first);
    });
    assert.deepEqual(getCurrentContext(), {});
  });
});

describe('generateRequestId', () => {
  it('gives 32 lowercase hex characters laid out as a UUID version 4', () => {
    for (let i = 0; i < 200; i++) {
      const id = generateRequestId();
      assert.match(id, /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    }
  });

  it('never repeats across many ids', () => {
    const ids = new Set();
    for (let i = 0; i < 20000; i++) ids.add(generateRequestId());
    assert.equal(ids.size, 20000);
  });

  it('is accepted as a request_id', () => {
    const id = generateRequestId();
    withContext({ request_id: id }, () => assert.equal(getRequestId(), id));
  });

  // The id just generated is named to the core by its place in the core's
  // block of ids (js/core/boundary.js putIssuedId), not written in: what the
  // core stores must be that id, in every spelling, across block refills.
  it('the id just generated is the one the core stores, in each spelling and across blocks', () => {
    for (let i = 0; i < 200; i++) {
      const id = generateRequestId();
      const input = i % 3 === 0 ? { requestId: id } : i % 3 === 1 ? { session_id: `s-${i}`, request_id: id } : { request_id: id, model_id: 'm' };
      withContext(input, () => {
        assert.equal(getRequestId(), id);
        assert.equal(JSON.parse(storedJson()).request_id, id, `id ${i}`);
        withContext({ sampling_iteration: i }, () => assert.equal(JSON.parse(storedJson()).request_id, id));
      });
    }
  });

  it('ids generated earlier, copies of ids and ids from an older block are values like any other', () => {
    const ids = Array.from({ length: 70 }, () => generateRequestId());
    for (const id of [...ids].reverse()) {
      withContext({ request_id: id }, () => assert.equal(JSON.parse(storedJson()).request_id, id));
    }
    const copy = ` ${ids[69]}`.slice(1);
    withContext({ request_id: copy }, () => assert.equal(JSON.parse(storedJson()).request_id, ids[69]));
    // The same generated id entered twice in a row: the same values both times.
    const id = generateRequestId();
    const first = withContext({ request_id: id }, () => storedJson());
    assert.equal(withContext({ request_id: id }, () => storedJson()), first);
  });

  it('a limit under 32 bytes refuses the id just generated like any 32-character value', async () => {
    await runChecked(`
      import assert from 'node:assert/strict';
      import { configure, generateRequestId, getRequestId, withContext } from 'mellea-context';
      configure({ maxValueBytes: 31 });
      const id = generateRequestId();
      assert.throws(() => withContext({ request_id: id }, () => {}), { code: 'ERR_MELLEA_INVALID_VALUE', message: /request_id/ });
      assert.throws(() => withContext({ request_id: 'a'.repeat(32) }, () => {}), { code: 'ERR_MELLEA_INVALID_VALUE' });
      configure({ maxValueBytes: 32 });
      assert.equal(withContext({ request_id: id }, getRequestId), id);
      console.log('ok');
    `);
  });
});

// Scopes from values never seen before: the one-field path (withContext('s'),
// withContext({ sessionId }), an inbound id) writes one change with no arrays
// (js/core/store.js childWithValue; a string by one loop, boundary.putStringChange,
// checked for lone surrogates after the write when it was not ASCII), and the several-field path one pass over
// the input (childOf). Both must store exactly what the other would, refuse
// exactly what the other would, survive a parent the store evicted, and never
// let a getter's own scope into the caller's bytes. Runs on every Node of the
// matrix (Node 22 writes through Buffer#utf8Write, the others through a loop).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configure, defineField, generateRequestId, getCurrentContext, getField, getRequestId, getSessionId, withContext } from 'mellea-context';
import { internals, storedJson } from './helpers/internals.mjs';

const inScope = (input) => withContext(input, () => ({ context: getCurrentContext(), json: storedJson(), scope: internals.current() }));
const refusalOf = (input) => {
  try {
    withContext(input, () => {});
  } catch (error) {
    return { name: error.name, code: error.code, message: error.message };
  }
  assert.fail(`${JSON.stringify(input)} was accepted`);
};

describe('one field from a fresh value', () => {
  const values = ['s-é-1', 'a'.repeat(256), '𝒳 session', 'x'.repeat(7), 'y'.repeat(8), 'z'.repeat(65)];

  it('stores what the several-field path stores, in every spelling', () => {
    for (const value of values) {
      const one = inScope({ sessionId: value });
      assert.deepEqual(inScope(value).json, one.json);
      assert.deepEqual(inScope({ session_id: value }).json, one.json);
      // The same value beside an unset field goes through childOf.
      const several = inScope({ session_id: value, model_id: undefined });
      assert.equal(several.json, one.json);
      assert.deepEqual(one.context, { session_id: value });
      assert.equal(JSON.parse(one.json).session_id, value);
    }
  });

  it('null or undefined unsets an inherited field', () => {
    withContext({ sessionId: 'outer', modelId: 'm' }, () => {
      for (const unset of [null, undefined]) {
        const { context, json } = inScope({ modelId: unset });
        assert.deepEqual(context, { session_id: 'outer' });
        assert.equal(json, '{"session_id":"outer"}');
      }
    });
  });

  it('the id generateRequestId() just made is copied by the core', () => {
    const id = generateRequestId();
    assert.equal(withContext({ requestId: id }, getRequestId), id);
    assert.equal(inScope({ request_id: id }).json, `{"request_id":"${id}"}`);
  });

  it('refuses what the several-field path refuses, with the same error', () => {
    const bad = [42, 'a'.repeat(257), 'lone \uD800', 'bell \u0007', 'line \u2028', '', { toString: () => 's' }];
    for (const value of bad) {
      const one = refusalOf({ sessionId: value });
      assert.equal(one.code, 'ERR_MELLEA_INVALID_VALUE', `${String(value)}`);
      assert.deepEqual(refusalOf({ sessionId: value, modelId: 'm' }), one);
      if (typeof value === 'string') assert.deepEqual(refusalOf(value), one);
    }
    assert.deepEqual(refusalOf({ sampling_iteration: 2 ** 31 }), refusalOf({ sampling_iteration: 2 ** 31, model_id: 'm' }));
    const unknown = refusalOf({ sesionId: 's' });
    assert.equal(unknown.code, 'ERR_MELLEA_UNKNOWN_FIELD');
    assert.match(unknown.message, /^Unknown context fields: \['sesionId'\]\. Valid fields: \[/);
  });

  it('a refused value leaves the caller in its own scope', () => {
    withContext('outer', () => {
      assert.throws(() => withContext({ sessionId: 'x\u0000' }, () => {}), { code: 'ERR_MELLEA_INVALID_VALUE' });
      assert.equal(getSessionId(), 'outer');
      assert.equal(storedJson(), '{"session_id":"outer"}');
    });
  });
});

describe('a parent the store evicted', () => {
  it('one-field and several-field children still carry its fields', () => {
    withContext({ sessionId: 'held', modelId: 'granite' }, () => {
      const parent = internals.current();
      const before = parent.handle;
      // More scopes than the store has slots: the parent's slot is reused.
      for (let i = 0; i < 20_000; i++) withContext({ requestId: `churn-${i}` }, () => {});
      withContext({ sessionId: 'x' }, () => {}); // made outside: does not touch the parent
      const child = inScope({ requestId: 'r-after' });
      assert.equal(child.json, '{"session_id":"held","request_id":"r-after","model_id":"granite"}');
      assert.notEqual(parent.handle, before, 'the parent was stored again');
      for (let i = 0; i < 20_000; i++) withContext({ requestId: `churn2-${i}` }, () => {});
      const two = inScope({ requestId: 'r-2', samplingIteration: 1 });
      assert.equal(two.json, '{"session_id":"held","request_id":"r-2","model_id":"granite","sampling_iteration":1}');
    });
  });
});

describe('getters on the input', () => {
  it('a getter that makes its own scope cannot reach the caller bytes', () => {
    const input = {
      get sessionId() {
        withContext({ modelId: 'from-the-getter', requestId: 'inner' }, () => {});
        return 'outer-session';
      },
    };
    assert.equal(inScope(input).json, '{"session_id":"outer-session"}');
    const two = {
      get sessionId() {
        withContext('inner-1', () => {});
        return 's-2';
      },
      get modelId() {
        withContext({ requestId: 'inner-2' }, () => {});
        return 'm-2';
      },
    };
    assert.equal(inScope(two).json, '{"session_id":"s-2","model_id":"m-2"}');
  });

  it('each getter is read once', () => {
    let reads = 0;
    const input = {
      get sessionId() {
        reads++;
        return `s-${reads}`;
      },
    };
    assert.equal(withContext(input, getSessionId), 's-1');
    assert.equal(reads, 1);
    const reads2 = { session: 0, model: 0 };
    const two = {
      get sessionId() {
        return `s-${++reads2.session}`;
      },
      get modelId() {
        return `m-${++reads2.model}`;
      },
    };
    assert.equal(inScope(two).json, '{"session_id":"s-1","model_id":"m-1"}');
    assert.deepEqual(reads2, { session: 1, model: 1 });
  });

  it("a getter's own error reaches the caller as thrown", () => {
    const mine = new Error('from the getter');
    for (const input of [{ get sessionId() { throw mine; } }, { modelId: 'm', get sessionId() { throw mine; } }]) {
      assert.throws(() => withContext(input, () => assert.fail('ran')), (error) => error === mine);
    }
    // Keys that cannot be read are the input's fault: the named error.
    const { proxy, revoke } = Proxy.revocable({ sessionId: 'x' }, {});
    revoke();
    assert.throws(() => withContext(proxy, () => {}), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('several fields from fresh values', () => {
  it('refuses the first bad value in input order, whatever its kind', () => {
    assert.match(refusalOf({ modelId: 'm', sessionId: 'lone \uD800', samplingIteration: 'x' }).message, /session_id.*lone surrogate/);
    assert.match(refusalOf({ modelId: 'm', samplingIteration: 'x', sessionId: 'lone \uD800' }).message, /sampling_iteration/);
    assert.match(refusalOf({ modelId: 'mé', sessionId: 'é \uDC00' }).message, /session_id.*lone surrogate/);
  });

  it('stores ASCII, non-ASCII and astral text beside each other exactly', () => {
    const input = { sessionId: 'sé-1', requestId: 'r-plain', modelId: '𝒳 模型' };
    assert.equal(inScope(input).json, '{"session_id":"sé-1","request_id":"r-plain","model_id":"𝒳 模型"}');
  });

  it('stores text whose first non-ASCII character is anywhere in it, on both paths', () => {
    // The write goes on in UTF-8 from the first character over 0x7F
    // (js/core/boundary.js putShort): the ASCII before it, each kind of
    // character at that place, and a lone surrogate after ASCII.
    const tail = 'abcdefghijklmnopqrstuvwxyz0123456789';
    for (const odd of ['é', '模', '𝒳', '\u00A0', '\u07FF', '\u0800', '\uFFFD']) {
      for (let at = 0; at <= tail.length; at += 5) {
        const text = `${tail.slice(0, at)}${odd}${tail.slice(at)}`;
        assert.equal(inScope({ sessionId: text }).json, JSON.stringify({ session_id: text }), text);
        assert.equal(inScope({ sessionId: text, modelId: `m${text}` }).json, JSON.stringify({ session_id: text, model_id: `m${text}` }), text);
        assert.equal(withContext(text, getSessionId), text);
      }
    }
    for (const lone of ['\uD800', '\uDC00']) {
      assert.match(refusalOf({ sessionId: `${tail}${lone}` }).message, /session_id.*lone surrogate/);
      assert.match(refusalOf({ sessionId: `${tail}é${lone}x` }).message, /session_id.*lone surrogate/);
    }
  });
});

describe('names and memo', () => {
  it('spellings and fields in any order resolve to their own field', () => {
    const inputs = [{ sessionId: 'a' }, { requestId: 'b' }, { session_id: 'c' }, { model_id: 'd' }, { requestId: 'e', sessionId: 'f' }, { modelId: 'g' }];
    for (let round = 0; round < 3; round++) {
      for (const input of inputs) {
        const expected = Object.fromEntries(Object.entries(input).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));
        assert.deepEqual(inScope(input).context, expected);
      }
    }
    assert.equal(getField('sessionId'), undefined);
  });

  it('the same one-field input met twice in a row is stored once and remembered, another value makes a new scope', () => {
    const first = inScope({ sessionId: 'memo-1' }).scope;
    // The second time the core answers the scope it made (its handle: nothing
    // stored), and the memo keeps it: from the third on, nothing crosses.
    const second = inScope({ sessionId: 'memo-1' }).scope;
    assert.equal(second.handle, first.handle);
    assert.equal(inScope({ sessionId: 'memo-1' }).scope, second);
    assert.equal(inScope({ sessionId: 'memo-1' }).scope, second);
    const other = inScope({ sessionId: 'memo-2' }).scope;
    assert.notEqual(other.handle, first.handle);
    assert.equal(other.sessionId, 'memo-2');
    // Two inputs taking turns are both found: the core compares a new child
    // with the two it made last under the same parent.
    const a = inScope({ sessionId: 'turn-a' }).scope;
    const b = inScope({ sessionId: 'turn-b' }).scope;
    assert.equal(inScope({ sessionId: 'turn-a' }).scope.handle, a.handle);
    assert.equal(inScope({ sessionId: 'turn-b' }).scope.handle, b.handle);
    const rememberedA = inScope({ sessionId: 'turn-a' }).scope;
    assert.equal(inScope({ sessionId: 'turn-b' }).scope, inScope({ sessionId: 'turn-b' }).scope);
    assert.equal(inScope({ sessionId: 'turn-a' }).scope, rememberedA);
    // A session id is compared by value: an equal string made anew (as a
    // header parser hands one over per request) finds the remembered scope.
    const made = () => ['memo', 'by', 'value', String(40 + 2)].join('-');
    inScope(made());
    const byValue = inScope(made()).scope;
    assert.equal(inScope(made()).scope, byValue);
    // Request scopes with fresh ids in between push nothing out.
    const kept = inScope('kept-session').scope;
    for (let i = 0; i < 5; i++) withContext({ requestId: generateRequestId() }, () => {});
    assert.equal(inScope('kept-session').scope.handle, kept.handle);
    // A null and an unset field are different inputs.
    withContext({ modelId: 'm' }, () => {
      const unset = inScope({ modelId: null }).scope;
      assert.equal(unset.modelId, undefined);
      const kept = inScope({ sessionId: 'memo-3' }).scope;
      assert.equal(kept.modelId, 'm');
    });
  });
});

describe('with defined fields', () => {
  it('integers, inbound ids and defined fields alike (last: defining fields changes how children copy values)', () => {
    defineField('tenant_tier', { type: 'integer' });
    defineField('fresh_flag', { type: 'boolean' });
    assert.equal(inScope({ sampling_iteration: 2 ** 31 - 1 }).json, '{"sampling_iteration":2147483647}');
    assert.equal(inScope({ samplingIteration: -0 }).json, '{"sampling_iteration":0}');
    assert.equal(inScope({ tenantTier: -(2 ** 53 - 1) }).json, `{"tenant_tier":${-(2 ** 53 - 1)}}`);
    assert.equal(inScope({ fresh_flag: false }).json, '{"fresh_flag":false}');
    const inbound = 'f'.repeat(32);
    assert.equal(inScope({ requestId: inbound }).json, `{"request_id":"${inbound}"}`);
  });

  it('a child copies every defined field of its parent', () => {
    withContext({ tenantTier: 3, modelId: 'm' }, () => {
      assert.deepEqual(inScope({ sessionId: 's' }).context, { session_id: 's', model_id: 'm', tenant_tier: 3 });
      assert.deepEqual(inScope({ fresh_flag: true, requestId: 'r' }).context, { request_id: 'r', model_id: 'm', tenant_tier: 3, fresh_flag: true });
    });
  });
});

describe('a value that does not fit the input area', () => {
  it('is too long in UTF-8 bytes, on either path, when it is over the limit', () => {
    configure({ maxValueBytes: 65536 });
    try {
      // 60,000 characters pass the UTF-16 length check; as UTF-8 they do not fit.
      for (const input of [{ sessionId: '€'.repeat(60000) }, { sessionId: '€'.repeat(60000), modelId: 'm' }]) {
        assert.deepEqual(refusalOf(input), {
          name: 'ContextFieldError',
          code: 'ERR_MELLEA_INVALID_VALUE',
          message: 'Invalid value for session_id: must be at most 65536 UTF-8 bytes, got 180000',
        });
      }
      // ASCII as long as the limit is stored by the one-loop path; one more is refused before a byte is copied.
      assert.equal(withContext('a'.repeat(65536), getSessionId), 'a'.repeat(65536));
      assert.equal(withContext({ sessionId: 'b'.repeat(65536) }, getSessionId), 'b'.repeat(65536));
      assert.equal(refusalOf({ sessionId: 'c'.repeat(65537) }).message, 'Invalid value for session_id: must be at most 65536 UTF-8 bytes, got 65537');
      assert.deepEqual(refusalOf('€'.repeat(60000)), refusalOf({ sessionId: '€'.repeat(60000) }));
      // Values each within the limit that together do not fit: the scope is too large.
      assert.match(refusalOf({ sessionId: 'a'.repeat(60000), modelId: 'b'.repeat(60000), requestId: 'c'.repeat(60000) }).message, /makes the scope larger than the store takes/);
    } finally {
      configure({ maxValueBytes: 256 });
    }
  });
});

// Every kind of async continuation created inside a scope sees it; code
// outside never does (the hazards Node's own AsyncLocalStorage tests cover).
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { bind, bindEmitter, enterContext, getCurrentContext, getSessionId, withContext } from 'mellea-context';

function later(fn, ms = 1) {
  return new Promise((resolve) => setTimeout(() => resolve(fn()), ms));
}

describe('async continuations inside a scope see it', () => {
  it('await, then, and custom thenables', async () => {
    await withContext('s-await', async () => {
      await null;
      assert.equal(getSessionId(), 's-await');
      await sleep(2);
      assert.equal(getSessionId(), 's-await');
      const viaThen = await Promise.resolve().then(() => getSessionId());
      assert.equal(viaThen, 's-await');
      const thenable = { then(resolve) { setTimeout(() => resolve(getSessionId()), 1); } };
      assert.equal(await thenable, 's-await');
    });
  });

  it('setTimeout, setInterval, setImmediate, process.nextTick, queueMicrotask', async () => {
    const seen = await withContext('s-timers', () => Promise.all([
      later(() => getSessionId(), 3),
      new Promise((resolve) => setImmediate(() => resolve(getSessionId()))),
      new Promise((resolve) => process.nextTick(() => resolve(getSessionId()))),
      new Promise((resolve) => queueMicrotask(() => resolve(getSessionId()))),
      new Promise((resolve) => {
        const timer = setInterval(() => {
          clearInterval(timer);
          resolve(getSessionId());
        }, 1);
      }),
    ]));
    assert.deepEqual(seen, Array(5).fill('s-timers'));
  });

  it('I/O callbacks and promises', async () => {
    const [viaCallback, viaPromise] = await withContext('s-io', () => Promise.all([
      new Promise((resolve) => import('node:fs').then((fs) => fs.readFile(new URL(import.meta.url), () => resolve(getSessionId())))),
      readFile(new URL(import.meta.url)).then(() => getSessionId()),
    ]));
    assert.equal(viaCallback, 's-io');
    assert.equal(viaPromise, 's-io');
  });

  it('work started inside never leaks outside, during or after', async () => {
    let resolveInner;
    const gate = new Promise((resolve) => { resolveInner = resolve; });
    const inner = withContext('inside', async () => {
      await gate;
      return getSessionId();
    });
    assert.equal(getSessionId(), undefined);
    await sleep(1);
    assert.equal(getSessionId(), undefined);
    resolveInner();
    assert.equal(await inner, 'inside');
    assert.equal(getSessionId(), undefined);
  });

  it('interleaved timers and awaits of two scopes never mix', async () => {
    const log = [];
    const task = (id, delays) => withContext({ session_id: id }, async () => {
      for (const ms of delays) {
        await sleep(ms);
        log.push([id, getSessionId()]);
        await later(() => log.push([id, getSessionId()]), ms);
      }
    });
    await Promise.all([task('a', [3, 1, 2, 0]), task('b', [0, 2, 1, 3]), task('c', [1, 1, 1, 1])]);
    assert.equal(log.length, 24);
    for (const [expected, seen] of log) assert.equal(seen, expected);
  });
});

describe('bind', () => {
  it('runs the function in the scope current at bind time, wherever it is called', async () => {
    const bound = withContext('bound', () => bind(function named(x) { return [getSessionId(), this?.tag, x]; }));
    assert.deepEqual(bound.call({ tag: 't' }, 1), ['bound', 't', 1]);
    assert.deepEqual(withContext('other', () => bound(2)), ['bound', undefined, 2]);
    const unscoped = bind(() => getSessionId());
    assert.equal(withContext('other', unscoped), undefined);
  });

  it('rejects a non-function with a TypeError and a code', () => {
    assert.throws(() => bind(42), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('bindEmitter', () => {
  it('listeners run in the scope current when they were added (on, once, prepend*)', async () => {
    const emitter = bindEmitter(new EventEmitter());
    const seen = [];
    withContext('on', () => emitter.on('x', () => seen.push(['on', getSessionId()])));
    withContext('once', () => emitter.once('x', () => seen.push(['once', getSessionId()])));
    withContext('prepend', () => emitter.prependListener('x', () => seen.push(['prepend', getSessionId()])));
    withContext('prepend-once', () => emitter.prependOnceListener('x', () => seen.push(['prepend-once', getSessionId()])));
    withContext('emitter', () => emitter.emit('x'));
    emitter.emit('x');
    assert.deepEqual(seen, [
      ['prepend-once', 'prepend-once'], ['prepend', 'prepend'], ['on', 'on'], ['once', 'once'],
      ['prepend', 'prepend'], ['on', 'on'],
    ]);
  });

  it('removeListener and off still remove a bound listener, including a once listener', () => {
    const emitter = bindEmitter(new EventEmitter());
    let calls = 0;
    const listener = () => calls++;
    const onceListener = () => calls++;
    withContext('s', () => {
      emitter.on('x', listener);
      emitter.once('x', onceListener);
    });
    assert.equal(emitter.listenerCount('x'), 2);
    emitter.removeListener('x', listener);
    emitter.off('x', onceListener);
    assert.equal(emitter.listenerCount('x'), 0);
    emitter.emit('x');
    assert.equal(calls, 0);
  });

  it('events.once on a bound emitter resolves in the adder scope', async () => {
    const emitter = bindEmitter(new EventEmitter());
    const waiting = withContext('waiter', async () => {
      await once(emitter, 'ready');
      return getSessionId();
    });
    setTimeout(() => withContext('emitter', () => emitter.emit('ready')), 1);
    assert.equal(await waiting, 'waiter');
  });

  it('listeners() still returns the functions the caller added', () => {
    const emitter = bindEmitter(new EventEmitter());
    const listener = () => {};
    const onceListener = () => {};
    withContext('s', () => {
      emitter.on('x', listener);
      emitter.once('x', onceListener);
    });
    assert.deepEqual(emitter.listeners('x'), [listener, onceListener]);
  });

  it('works with emitters that are not Node EventEmitters (add, remove, scope)', () => {
    class TinyEmitter {
      constructor() { this.handlers = new Map(); }
      on(event, fn) { (this.handlers.get(event) ?? this.handlers.set(event, []).get(event)).push(fn); return this; }
      off(event, fn) { this.handlers.set(event, (this.handlers.get(event) ?? []).filter((h) => h !== fn)); return this; }
      emit(event, ...args) { for (const h of this.handlers.get(event) ?? []) h.apply(this, args); }
    }
    const emitter = bindEmitter(new TinyEmitter());
    const seen = [];
    const listener = (x) => seen.push([x, getSessionId()]);
    withContext('tiny', () => emitter.on('x', listener));
    withContext('other', () => emitter.emit('x', 1));
    emitter.off('x', listener);
    emitter.emit('x', 2);
    assert.deepEqual(seen, [[1, 'tiny']]);
  });

  it('binding twice is harmless and returns the emitter', () => {
    const emitter = new EventEmitter();
    assert.equal(bindEmitter(bindEmitter(emitter)), emitter);
    let seen;
    withContext('s', () => emitter.on('x', () => { seen = getSessionId(); }));
    emitter.emit('x');
    assert.equal(seen, 's');
    assert.throws(() => bindEmitter({}), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('nesting depth', () => {
  it('1,000 nested scopes each see their own depth and unwind exactly', () => {
    const depths = [];
    const nest = (n) => withContext({ sampling_iteration: n, session_id: `d-${n}` }, () => {
      depths.push(getCurrentContext().sampling_iteration);
      if (n < 999) nest(n + 1);
      assert.equal(getSessionId(), `d-${n}`);
    });
    nest(0);
    assert.equal(depths.length, 1000);
    depths.forEach((d, i) => assert.equal(d, i));
    assert.equal(getSessionId(), undefined);
  });

  it('1,000 nested async scopes', async () => {
    const nest = async (n) => withContext({ sampling_iteration: n }, async () => {
      if (n % 100 === 0) await sleep(0);
      else await null;
      const inner = n < 999 ? await nest(n + 1) : n;
      assert.equal(getCurrentContext().sampling_iteration, n);
      return inner;
    });
    assert.equal(await nest(0), 999);
  });
});

describe('enterContext', () => {
  it('applies to the rest of the synchronous run and to async work it starts', async () => {
    await withContext('outer', async () => {
      const token = enterContext({ model_id: 'm' });
      assert.deepEqual(getCurrentContext(), { session_id: 'outer', model_id: 'm' });
      assert.equal(await later(() => getCurrentContext().model_id), 'm');
      token.reset();
      assert.deepEqual(getCurrentContext(), { session_id: 'outer' });
    });
  });

  it('reset restores exactly the scope before it, and a second reset is a no-op', () => {
    withContext('a', () => {
      const first = enterContext('b');
      const second = enterContext({ model_id: 'm' });
      assert.deepEqual(getCurrentContext(), { session_id: 'b', model_id: 'm' });
      second.reset();
      assert.deepEqual(getCurrentContext(), { session_id: 'b' });
      second.reset();
      assert.deepEqual(getCurrentContext(), { session_id: 'b' });
      first.reset();
      assert.deepEqual(getCurrentContext(), { session_id: 'a' });
    });
  });

  it('works with `using` semantics through Symbol.dispose', () => {
    withContext('a', () => {
      const token = enterContext('b');
      token[Symbol.dispose]();
      assert.equal(getSessionId(), 'a');
    });
  });

  it('is contained by the enclosing withContext (an async handler entering a scope)', async () => {
    async function handler() {
      enterContext({ model_id: 'entered' });
      await sleep(1);
      return getCurrentContext();
    }
    assert.deepEqual(await withContext('request', handler), { session_id: 'request', model_id: 'entered' });
    assert.deepEqual(getCurrentContext(), {});
  });
});

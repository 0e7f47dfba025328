// bindEmitter where listeners usually lose their scope: emitters that
// OpenTelemetry's context manager bound too (either order), emitters that
// cannot be changed, EventTarget and AbortSignal.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { describe, it } from 'node:test';
import { context as otelContext, createContextKey } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { bindEmitter, getSessionId, withContext } from 'mellea-context';

const OTEL_KEY = createContextKey('test.key');

function otelManager() {
  return new AsyncLocalStorageContextManager().enable();
}

/** Adds h with each adder, checks it runs in scope, then removes it and counts. */
function checkAddRemove(emitter, manager) {
  const seen = [];
  const h = () => seen.push([getSessionId(), manager.active().getValue(OTEL_KEY)]);
  for (const [add, remove] of [['on', 'off'], ['on', 'removeListener'], ['once', 'off'], ['once', 'removeListener'], ['addListener', 'off'], ['prependListener', 'off'], ['prependOnceListener', 'removeListener']]) {
    withContext(`s-${add}`, () => emitter[add]('x', h));
    assert.equal(emitter.listenerCount('x'), 1, `${add}: one listener`);
    emitter[remove]('x', h);
    assert.equal(emitter.listenerCount('x'), 0, `${add} then ${remove}: listener removed`);
  }
  emitter.emit('x');
  assert.deepEqual(seen, []);
  // Two functions: OpenTelemetry keeps one wrapper per function and event, so
  // one function added twice to one event cannot be removed through its map.
  const h2 = () => seen.push([getSessionId(), manager.active().getValue(OTEL_KEY)]);
  withContext('adder', () => emitter.on('x', h));
  withContext('adder-once', () => emitter.once('x', h2));
  withContext('emitter', () => emitter.emit('x'));
  assert.deepEqual(seen, [['adder', 'otel'], ['adder-once', 'otel']]);
  assert.equal(emitter.listenerCount('x'), 1);
  emitter.off('x', h);
  assert.equal(emitter.listenerCount('x'), 0);
}

describe('bindEmitter composes with OpenTelemetry\'s bind', () => {
  it('OpenTelemetry first, then bindEmitter: add, once, remove, count, scope', () => {
    const manager = otelManager();
    const emitter = new EventEmitter();
    manager.bind(otelContext.active().setValue(OTEL_KEY, 'otel'), emitter);
    bindEmitter(emitter);
    checkAddRemove(emitter, manager);
    manager.disable();
  });

  it('bindEmitter first, then OpenTelemetry: add, once, remove, count, scope', () => {
    const manager = otelManager();
    const emitter = new EventEmitter();
    bindEmitter(emitter);
    manager.bind(otelContext.active().setValue(OTEL_KEY, 'otel'), emitter);
    checkAddRemove(emitter, manager);
    manager.disable();
  });

  it('removeAllListeners after both', () => {
    const manager = otelManager();
    const emitter = new EventEmitter();
    manager.bind(otelContext.active(), emitter);
    bindEmitter(emitter);
    withContext('s', () => { emitter.on('x', () => {}); emitter.once('x', () => {}); });
    emitter.removeAllListeners('x');
    assert.equal(emitter.listenerCount('x'), 0);
    manager.disable();
  });
});

describe('bindEmitter refuses what it cannot bind, changing nothing', () => {
  const cases = {
    frozen: () => Object.freeze(new EventEmitter()),
    sealed: () => Object.seal(new EventEmitter()),
    'non-extensible': () => Object.preventExtensions(new EventEmitter()),
    'a read-only own once': () => {
      const e = new EventEmitter();
      e.on = e.on.bind(e); // an own, writable on: would be replaced first
      Object.defineProperty(e, 'once', { value: EventEmitter.prototype.once, writable: false, configurable: false });
      return e;
    },
  };
  for (const [name, make] of Object.entries(cases)) {
    it(`${name} emitter: ERR_INVALID_ARG_TYPE and untouched`, () => {
      const emitter = make();
      const before = Object.getOwnPropertyDescriptors(emitter);
      assert.throws(() => bindEmitter(emitter), (error) => {
        assert.equal(error.name, 'TypeError');
        assert.equal(error.code, 'ERR_INVALID_ARG_TYPE');
        assert.match(error.message, /bindEmitter/);
        return true;
      });
      assert.deepEqual(Object.getOwnPropertyDescriptors(emitter), before);
      assert.equal(Object.getOwnPropertySymbols(emitter).length, Object.getOwnPropertySymbols(before).length);
    });
  }

  it('a frozen EventTarget too', () => {
    const target = Object.freeze(new EventTarget());
    assert.throws(() => bindEmitter(target), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('bindEmitter(EventTarget)', () => {
  it('listeners run in the scope they were added in: functions and handleEvent objects', () => {
    const target = bindEmitter(new EventTarget());
    const seen = [];
    const fn = function (event) { seen.push(['fn', getSessionId(), event.type, this === target]); };
    const object = { handleEvent(event) { seen.push(['object', getSessionId(), event.type, this === object]); } };
    withContext('fn-scope', () => target.addEventListener('ping', fn));
    withContext('object-scope', () => target.addEventListener('ping', object));
    withContext('dispatcher', () => target.dispatchEvent(new Event('ping')));
    assert.deepEqual(seen, [['fn', 'fn-scope', 'ping', true], ['object', 'object-scope', 'ping', true]]);
  });

  it('removeEventListener removes; adding the same listener twice is still one listener', () => {
    const target = bindEmitter(new EventTarget());
    let calls = 0;
    const fn = () => calls++;
    withContext('a', () => target.addEventListener('x', fn));
    withContext('b', () => target.addEventListener('x', fn));
    target.dispatchEvent(new Event('x'));
    assert.equal(calls, 1);
    target.removeEventListener('x', fn);
    target.dispatchEvent(new Event('x'));
    assert.equal(calls, 1);
  });

  it('once runs once, and the listener can be added again in a new scope', () => {
    const target = bindEmitter(new EventTarget());
    const seen = [];
    const fn = () => seen.push(getSessionId());
    withContext('first', () => target.addEventListener('x', fn, { once: true }));
    target.dispatchEvent(new Event('x'));
    target.dispatchEvent(new Event('x'));
    withContext('second', () => target.addEventListener('x', fn, { once: true }));
    target.dispatchEvent(new Event('x'));
    assert.deepEqual(seen, ['first', 'second']);
  });

  it('{ signal } removes the listener on abort, and it can be added again', () => {
    const target = bindEmitter(new EventTarget());
    const seen = [];
    const fn = () => seen.push(getSessionId());
    const controller = new AbortController();
    withContext('with-signal', () => target.addEventListener('x', fn, { signal: controller.signal }));
    target.dispatchEvent(new Event('x'));
    controller.abort();
    target.dispatchEvent(new Event('x'));
    withContext('again', () => target.addEventListener('x', fn));
    target.dispatchEvent(new Event('x'));
    assert.deepEqual(seen, ['with-signal', 'again']);
  });

  it('AbortSignal: an abort listener runs in the scope it was added in, not the aborter\'s', async () => {
    const controller = new AbortController();
    const signal = bindEmitter(controller.signal);
    const ran = [];
    withContext('request-1', () => signal.addEventListener('abort', () => ran.push(getSessionId())));
    const viaOnce = withContext('request-2', async () => {
      await once(signal, 'abort');
      return getSessionId();
    });
    await new Promise((resolve) => setTimeout(resolve, 1));
    withContext('aborter', () => controller.abort());
    assert.deepEqual(ran, ['request-1']);
    assert.equal(await viaOnce, 'request-2');
  });

  it('an unbound AbortSignal runs listeners in the aborter\'s scope (why bindEmitter is needed)', () => {
    const controller = new AbortController();
    let seen;
    withContext('request-1', () => controller.signal.addEventListener('abort', () => { seen = getSessionId(); }));
    withContext('aborter', () => controller.abort());
    assert.equal(seen, 'aborter');
  });

  it('binding twice is harmless; a bad listener is passed through to the target', () => {
    const target = new EventTarget();
    assert.equal(bindEmitter(bindEmitter(target)), target);
    assert.doesNotThrow(() => target.addEventListener('x', null));
    let seen;
    withContext('s', () => target.addEventListener('x', () => { seen = getSessionId(); }));
    target.dispatchEvent(new Event('x'));
    assert.equal(seen, 's');
  });
});

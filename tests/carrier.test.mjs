// The Node carrier's getStore() and run() (js/node/carrier.js) are Node's own
// with the key fixed (Node 20-22), or work on Node's AsyncContextFrames (one
// frame per run; Node 24-26): they must behave exactly as
// AsyncLocalStorage.prototype's wherever a store can be, and the carrier must
// fall back to Node's when this Node keeps stores some other way.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { enterContext, getSessionId, withContext } from 'mellea-context';
import { internals } from './helpers/internals.mjs';
import { asyncContextFrame, NODE_MAJOR, otherStorageFlag } from './helpers/node-matrix.mjs';

const require = createRequire(import.meta.url);
const { createCarrier, fixedKeyGetStore, keepsStoresInResources, storesOnAsyncResources } = require('../dist/cjs/node/carrier.js');
const nodeGetStore = AsyncLocalStorage.prototype.getStore;

describe('the carrier reads its store as Node does', () => {
  it(`has the fixed-key read on Node 20 and 22 only (this is Node ${NODE_MAJOR}: ${NODE_MAJOR <= 22 ? 'fixed-key' : 'Node getStore()'})`, () => {
    // Node 20 and 22 keep stores under an instance's kResourceStore; Node 24
    // and 26 build AsyncLocalStorage on AsyncContextFrame, which has no such key.
    const fixedKey = NODE_MAJOR <= 22 && !asyncContextFrame();
    assert.equal(keepsStoresInResources(), fixedKey);
    // Where stores live in AsyncContextFrame the read is the frame's one
    // get() (frameGetStore): its own getStore() there too.
    assert.equal(Object.hasOwn(internals.carrier, 'getStore'), fixedKey || asyncContextFrame());
    assert.equal(Object.hasOwn(internals.carrier, 'run'), fixedKey || asyncContextFrame());
    assert.equal(typeof new AsyncLocalStorage().kResourceStore === 'symbol', !asyncContextFrame());
  });

  it('runs as Node run() does: this, arguments, nesting, a throw, the store already current', () => {
    const { carrier } = internals;
    const nodeRun = AsyncLocalStorage.prototype.run;
    const outcome = (run) => {
      const a = { a: 1 };
      const b = { b: 2 };
      const seen = [];
      const read = () => nodeGetStore.call(carrier);
      seen.push(run.call(carrier, a, function (x, y) {
        return [this, x, y, read()];
      }, 1, 2));
      try {
        run.call(carrier, a, () => {
          throw new Error('boom');
        });
      } catch (error) {
        seen.push(error.message, read());
      }
      seen.push(run.call(carrier, a, () => [read(), run.call(carrier, b, read), read()]));
      // The store already current: no frame of its own, so an enterWith
      // inside outlives the inner run until the outer one ends.
      seen.push(run.call(carrier, a, () => [run.call(carrier, a, function (x) {
        carrier.enterWith(b);
        return [this, x, read()];
      }, 3), read()]), read());
      return seen;
    };
    const ours = outcome(carrier.run);
    assert.deepEqual(ours, outcome(nodeRun));
    assert.deepEqual(ours, [[null, 1, 2, { a: 1 }], 'boom', undefined, [{ a: 1 }, { b: 2 }, { a: 1 }], [[null, 3, { b: 2 }], { b: 2 }], undefined]);
    // runFrom (where stores live in AsyncContextFrame), told the store
    // current at each call as withContext tells it: the same outcome.
    if (carrier.runFrom !== undefined) {
      const viaRunFrom = function (store, fn, ...args) {
        return carrier.runFrom(nodeGetStore.call(carrier), store, fn, ...args);
      };
      assert.deepEqual(outcome(viaRunFrom), ours);
    }
  });

  it('runFrom leaves frames as Node run() does: what the callback entered for other storages, a disable(), an async callback, resources made inside and after', { skip: internals.carrier.runFrom === undefined && 'no runFrom on this Node (stores on async resources)' }, async () => {
    // runFrom makes one frame and puts the outer one back; when the callback
    // changed frames it does what Node's run() does (enterWith(prior)).
    const { carrier } = internals;
    const nodeRun = AsyncLocalStorage.prototype.run;
    const viaRunFrom = (store, fn) => carrier.runFrom(nodeGetStore.call(carrier), store, fn);
    const viaNode = (store, fn) => nodeRun.call(carrier, store, fn);
    const outcome = async (run) => {
      const other = new AsyncLocalStorage();
      const third = new AsyncLocalStorage();
      const read = () => [nodeGetStore.call(carrier), carrier.getStore(), other.getStore(), third.getStore()];
      const seen = [];
      const after = [];
      await third.run('t0', async () => {
        other.enterWith('o0');
        seen.push(run('a', () => read()), read());
        seen.push(run('a', () => other.enterWith('o1')), read());
        seen.push(run('b', () => other.run('o2', read)), read());
        seen.push(run('c', () => third.disable()), read());
        try {
          run('x', () => {
            other.enterWith('o-thrown');
            throw new Error('after an enterWith');
          });
        } catch (error) {
          seen.push(error.message, read());
        }
        other.enterWith('o1');
        third.enterWith('t1');
        seen.push(run('d', () => run('e', () => carrier.enterWith('f'))), read());
        const resource = run('g', () => new AsyncResource('inside'));
        const bound = run('h', () => AsyncLocalStorage.snapshot());
        seen.push(resource.runInAsyncScope(read), bound(read), read());
        const pending = run('i', async () => {
          await null;
          after.push(read());
          other.enterWith('o3');
          await sleep(1);
          after.push(read());
        });
        seen.push(read());
        await pending;
        seen.push(read());
      });
      seen.push(read());
      other.disable();
      return [seen, after];
    };
    const expected = await outcome(viaNode);
    assert.deepEqual(await outcome(viaRunFrom), expected);
    // What Node does, spelled out for the cases runFrom treats apart.
    assert.deepEqual(expected[0].slice(0, 4), [['a', 'a', 'o0', 't0'], [undefined, undefined, 'o0', 't0'], undefined, [undefined, undefined, 'o1', 't0']]);
    assert.deepEqual(expected[1], [['i', 'i', 'o1', 't1'], ['i', 'i', 'o3', 't1']]);
  });

  it(`has runFrom exactly where stores live in AsyncContextFrame (this is Node ${NODE_MAJOR}: ${asyncContextFrame() ? 'a frame' : 'async resources'})`, () => {
    assert.equal(typeof internals.carrier.runFrom === 'function', asyncContextFrame());
    // Not on a storage kept on async resources, and not on a class that is not Node's.
    assert.equal(createCarrier(class extends AsyncLocalStorage {
      enterWith() {
        throw new Error('no enterWith here');
      }
    }).runFrom, undefined);
  });

  // With this Node's other storage, in a child: Node 22's AsyncContextFrame
  // has no kResourceStore; Node 24+'s resource-kept storage has one, but keeps
  // each store in a per-resource object under another symbol, which the probe
  // must see (the fixed-key read would answer undefined in every scope).
  const other = otherStorageFlag();
  it(other.skip ? 'the fixed-key read with this Node\'s other AsyncLocalStorage' : `no fixed-key read under ${other.flag}`, { skip: other.skip }, () => {
    const script = `
      const { AsyncLocalStorage } = require('node:async_hooks');
      const { keepsStoresInResources, storesOnAsyncResources } = require(${JSON.stringify(require.resolve('../dist/cjs/node/carrier.js'))});
      const { internals } = require(${JSON.stringify(require.resolve('../dist/cjs/node/runtime.js'))});
      const als = new AsyncLocalStorage();
      const read = als.run('s', () => als.getStore());
      console.log(JSON.stringify({ probe: keepsStoresInResources(), own: Object.hasOwn(internals.carrier, 'getStore'), key: typeof als.kResourceStore, onResources: storesOnAsyncResources(), read }));`;
    const run = spawnSync(process.execPath, [other.flag, '-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { probe: false, own: other.frame, key: other.frame ? 'undefined' : 'symbol', onResources: !other.frame, read: 's' });
  });

  it('storesOnAsyncResources() says where this Node keeps stores (what diagnostics and the README tell)', () => {
    assert.equal(storesOnAsyncResources(), !asyncContextFrame());
    assert.equal(storesOnAsyncResources(class Broken { constructor() { throw new Error('no'); } }), false);
  });

  it('agrees with Node getStore() in every kind of continuation', async () => {
    const { carrier } = internals;
    const seen = [];
    const check = (where) => {
      const ours = carrier.getStore();
      const node = nodeGetStore.call(carrier);
      seen.push(where);
      assert.equal(ours, node, where);
      return ours;
    };
    check('outside any scope');
    const emitter = new EventEmitter();
    let bound;
    await withContext('s-carrier', async () => {
      assert.equal(check('run').sessionId, 's-carrier');
      await null;
      check('after await');
      await sleep(1);
      check('timer');
      await immediate();
      check('setImmediate');
      await new Promise((resolve) => process.nextTick(() => resolve(check('nextTick'))));
      await new Promise((resolve) => queueMicrotask(() => resolve(check('queueMicrotask'))));
      await Promise.resolve().then(() => check('then'));
      emitter.on('ev', () => check('emitter listener'));
      bound = AsyncResource.bind(() => check('AsyncResource.bind'));
      await withContext({ model_id: 'm' }, async () => {
        assert.equal(check('nested run').modelId, 'm');
        const token = enterContext({ sampling_iteration: 2 });
        assert.equal(check('enterWith').samplingIteration, 2);
        token.reset();
        check('after reset');
      });
      check('after nested');
    });
    emitter.emit('ev');
    assert.equal(bound().sessionId, 's-carrier');
    check('after the scope');
    await sleep(1);
    check('timer after the scope');
    assert.equal(getSessionId(), undefined);
    assert.ok(seen.length >= 15);
  });

  it('answers undefined like Node inside exit(), where Node turns the storage off', () => {
    const { carrier } = internals;
    withContext('s-exit', () => {
      carrier.exit(() => {
        assert.equal(carrier.getStore(), undefined);
        assert.equal(nodeGetStore.call(carrier), undefined);
        assert.equal(getSessionId(), undefined);
      });
      assert.equal(getSessionId(), 's-exit');
    });
  });

  it('falls back to Node getStore() when stores are not kept under kResourceStore', async () => {
    // A storage that keeps its store elsewhere, as an AsyncContextFrame-based
    // AsyncLocalStorage does: the probe sees the fixed-key read disagree.
    class ElsewhereStorage extends AsyncLocalStorage {
      #store = undefined;
      getStore() {
        return this.#store;
      }
      run(store, fn, ...args) {
        const previous = this.#store;
        this.#store = store;
        try {
          return fn(...args);
        } finally {
          this.#store = previous;
        }
      }
      enterWith(store) {
        this.#store = store;
      }
    }
    assert.equal(keepsStoresInResources(ElsewhereStorage), false);
    const carrier = createCarrier(ElsewhereStorage);
    assert.equal(Object.hasOwn(carrier, 'getStore'), false);
    assert.equal(Object.hasOwn(carrier, 'run'), false);
    assert.equal(carrier.run('x', () => carrier.getStore()), 'x');
    // And one with no kResourceStore at all.
    class NoKeyStorage extends ElsewhereStorage {
      constructor() {
        super();
        this.kResourceStore = undefined;
      }
    }
    assert.equal(fixedKeyGetStore(new NoKeyStorage()), undefined);
    assert.equal(keepsStoresInResources(NoKeyStorage), false);
    assert.equal(keepsStoresInResources(class Broken { constructor() { throw new Error('no'); } }), false);
    // The checks try the carrier itself (js/node/carrier.js createCarrier):
    // one they do not run in (no fixed key: Bun, Deno, Node 24+) is left as
    // made, never disabled; one they ran in is as new after them.
    class CountingStorage extends NoKeyStorage {
      disabled = 0;
      disable() {
        this.disabled++;
      }
    }
    const untouched = new CountingStorage();
    assert.equal(keepsStoresInResources(CountingStorage, untouched), false);
    assert.equal(untouched.disabled, 0);
    if (keepsStoresInResources()) {
      const probed = new AsyncLocalStorage();
      assert.equal(keepsStoresInResources(AsyncLocalStorage, probed), true);
      assert.equal(probed.getStore(), undefined);
      assert.equal(probed.run('after', () => probed.getStore()), 'after');
    }
  });
});

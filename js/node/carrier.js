// The Node scope carrier: one AsyncLocalStorage. withContext is its run(),
// enterContext its enterWith(), every read its getStore().
//
// Its getStore() is Node's own, made for this one instance. Node's
// getStore() reads `executionAsyncResource()[this.kResourceStore]`, a keyed
// load whose key differs per AsyncLocalStorage: with OpenTelemetry's, ours
// and any other in the process that load is polymorphic, and it was most of
// a getter's cost (bench/core.bench.mjs: getStore() 7.4 ns; the same read
// with the key fixed 2.5-4.4 ns, so getSessionId() went from 1.11x to 0.59x
// of getStore(), and run(), which calls this.getStore(), got cheaper with
// it). The copy reads the same slot under the same condition (`enabled`), so
// it answers exactly as Node's would; it is used only when this Node keeps
// stores that way, checked at load on the carrier itself (createCarrier says
// why not on an instance of its own). Node 20 and 22 do.
// Node 24 and 26 do not, either way: their default AsyncLocalStorage is
// built on AsyncContextFrame and has no kResourceStore, and with
// --no-async-context-frame it keeps each store in a per-resource object under
// another symbol (the probe sees the fixed-key read disagree and refuses it).
// There, and on Node 22 with --experimental-async-context-frame, the carrier
// works on the frames themselves (frameRunFrom, frameGetStore below).
// Its run() is Node's too, with the same key fixed (fixedKeyRun): Node's
// run() calls this.getStore() and reads and writes resource[this.kResourceStore],
// three loads and a store that every AsyncLocalStorage in the process shares
// (OpenTelemetry's too), so they are polymorphic. Measured in one process with
// a second instance in use (min of 57 rounds, Node 20 and 22): run() 30-92 ns,
// the fixed-key copy 13-19 ns; a fresh withContext('s') is one run() and a
// crossing, so that was a fifth of it.
// Both are own properties of this private instance, nothing process-wide;
// `delete carrier.getStore; delete carrier.run` puts Node's back. Where
// stores live in frames, Node's run() makes two frames, each a copy of the
// current one (200-300 ns each on this machine, the most of a fresh scope on
// Node 24): runFrom makes one, with Node's own AsyncContextFrame class,
// which this module reaches through an AsyncResource (contextFrameClass) and
// never changes.
// tests/carrier.test.mjs compares the two across every kind of async
// continuation.
import { AsyncLocalStorage, AsyncResource, executionAsyncResource as nodeExecutionAsyncResource } from 'node:async_hooks';

// The function itself, held in this module's scope. The CommonJS build
// turns a use of the import into a load from node:async_hooks' exports
// object at each call, and on Node 22 (whose exports object has a getter,
// AsyncLocalStorage) V8 does not fold that load: the fixed-key getStore()
// cost 5.0-5.2 ns there against 2.5-2.8 ns for the same read through a
// const (bench/core.bench.mjs getSessionId() vs getStore(): 1.06-1.12x).
const executionAsyncResource = nodeExecutionAsyncResource;

/**
 * getStore() for `als` alone (a fixed key), or undefined when `als` does not
 * keep its store in the current async resource under `als.kResourceStore`.
 */
export function fixedKeyGetStore(als) {
  const key = als?.kResourceStore;
  if (typeof key !== 'symbol' || typeof executionAsyncResource !== 'function') return undefined;
  return function getStore() {
    return als.enabled ? executionAsyncResource()[key] : undefined;
  };
}

const ObjectIs = Object.is;
const ReflectApply = Reflect.apply;

/**
 * run() for `als` alone: Node 20-22's AsyncLocalStorage.prototype.run
 * (lib/async_hooks.js) line for line, with `this.getStore()` written out and
 * `this.kResourceStore` fixed. Only for an `als` keepsStoresInResources()
 * accepted (its class has that run and _enable).
 */
export function fixedKeyRun(als) {
  const key = als.kResourceStore;
  return function run(store, callback, ...args) {
    // Avoid creation of an AsyncResource if store is already active
    if (ObjectIs(store, als.enabled ? executionAsyncResource()[key] : undefined)) {
      return ReflectApply(callback, null, args);
    }
    als._enable();
    const resource = executionAsyncResource();
    const oldStore = resource[key];
    resource[key] = store;
    try {
      return ReflectApply(callback, null, args);
    } finally {
      resource[key] = oldStore;
    }
  };
}

/**
 * Whether fixedKeyGetStore() and fixedKeyRun() answer as Node's getStore()
 * and run() for instances of
 * `Storage`: tried on `probe` (a new instance unless given), inside run() and
 * the fixed-key run(), inside a nested enterWith() and after, after a throw,
 * and once disabled (which also puts Node's async hook back as it was:
 * nothing stays enabled by this check).
 */
export function keepsStoresInResources(Storage = AsyncLocalStorage, probe = undefined) {
  let read;
  try {
    probe ??= new Storage();
    read = fixedKeyGetStore(probe);
  } catch {
    return false;
  }
  // A storage kept some other way (Node 24+, Bun, Deno) is left untouched:
  // only one this check runs in is disabled again after it.
  if (read === undefined || typeof probe._enable !== 'function') return false;
  try {
    const run = fixedKeyRun(probe);
    const outer = {};
    const middle = {};
    const inner = {};
    const agrees = () => read() === probe.getStore();
    const seen = probe.run(outer, () => {
      const inRun = read() === outer && agrees();
      const inEnter = probe.run(middle, () => {
        if (read() !== middle) return false;
        probe.enterWith(inner);
        return read() === inner && agrees();
      });
      const inFixedRun = run(middle, (a, b) => a === 1 && b === 2 && probe.getStore() === middle && run(middle, () => probe.getStore() === middle), 1, 2);
      let restored = false;
      try {
        run(inner, () => {
          throw outer;
        });
      } catch (error) {
        restored = error === outer && probe.getStore() === outer;
      }
      return inRun && inEnter && inFixedRun && restored && read() === outer && agrees();
    });
    probe.disable();
    return seen && read() === undefined && agrees();
  } catch {
    return false;
  } finally {
    probe.disable?.();
  }
}

/**
 * Whether instances of `Storage` keep their stores on async resources
 * (Node's async_hooks-based AsyncLocalStorage: Node 20-22 by default, 24+
 * with --no-async-context-frame; each instance has a kResourceStore key)
 * rather than in AsyncContextFrame (24+ by default, 22 with
 * --experimental-async-context-frame). On resources, enterWith() changes the
 * scope of the resource whose callback is running, and it stays there: in a
 * bare node:http handler that is the connection, so the next request on a
 * kept-alive socket starts in it. In a frame, it ends with the callback.
 */
export function storesOnAsyncResources(Storage = AsyncLocalStorage) {
  try {
    return typeof new Storage().kResourceStore === 'symbol';
  } catch {
    return false;
  }
}

/**
 * Node's AsyncContextFrame class (internal/async_context_frame: a Map from
 * AsyncLocalStorage to store, the current one kept by V8 as continuation
 * data) as an AsyncResource made inside `probe.run(marker)` holds it, or
 * undefined when that is not what this Node has.
 */
function contextFrameClass(probe, marker) {
  return probe.run(marker, () => {
    const resource = new AsyncResource('mellea-context-probe');
    for (const symbol of Object.getOwnPropertySymbols(resource)) {
      const frame = resource[symbol];
      const Frame = frame?.constructor;
      if (typeof frame?.get !== 'function' || typeof Frame?.current !== 'function' || typeof Frame.set !== 'function') continue;
      if (Frame.current() === frame && frame.get(probe) === marker && frame.size >= 1) return Frame;
    }
    return undefined;
  });
}

/**
 * run() for an AsyncLocalStorage whose stores live in AsyncContextFrame
 * (Node 24 and 26; Node 22 with --experimental-async-context-frame), told
 * the store current at the call: `prior`, which withContext read already to
 * find the parent. Node's run() there is getStore(), enterWith(store) (a new
 * frame: a copy of the current one, with this storage's entry set), the
 * callback, and enterWith(prior) (a second copy). This makes the one frame
 * and, after the callback, puts back the frame that was current before,
 * unless the callback changed frames (an enterWith of any storage, a
 * disable()): then it does what Node's run() does, enterWith(prior), so
 * what the callback entered for other storages stays. One copy where Node's
 * run() makes two: a fresh withContext({ sessionId }) 1.30 -> 0.98 of
 * OpenTelemetry's context.with on Node 24 (in-process A/B, both load
 * orders, twice), the shorthand 1.12 -> 0.75.
 */
export function frameRunFrom(als, Frame) {
  return function runFrom(prior, store, callback, ...args) {
    if (ObjectIs(store, prior)) return ReflectApply(callback, null, args);
    const outer = Frame.current();
    const frame = new Frame(als, store);
    const size = frame.size;
    Frame.set(frame);
    try {
      return ReflectApply(callback, null, args);
    } finally {
      if (Frame.current() === frame && frame.size === size) Frame.set(outer);
      else als.enterWith(prior);
    }
  };
}

/** getStore() for `als` alone where its stores live in AsyncContextFrame `Frame` (one lookup: Node's is has() then get()). */
export function frameGetStore(als, Frame) {
  return function getStore() {
    const frame = Frame.current();
    return frame === undefined ? undefined : frame.get(als);
  };
}

/**
 * Node's AsyncContextFrame class, when frameRunFrom() and frameGetStore()
 * with it answer as Node's run() and getStore() for instances of `Storage`,
 * on Node itself (Bun and Deno have AsyncLocalStorage classes of their
 * own): stores not on async resources, the class found (contextFrameClass),
 * and `probe` (a new instance unless given) seeing the same stores inside, after, nested and
 * after a throw. Else undefined.
 */
export function keepsStoresInFrames(Storage = AsyncLocalStorage, probe = undefined) {
  if (globalThis.process?.versions?.bun !== undefined || globalThis.Deno !== undefined || storesOnAsyncResources(Storage)) return undefined;
  try {
    probe ??= new Storage();
    if (typeof probe.enterWith !== 'function') return undefined;
    const Frame = contextFrameClass(probe, {});
    if (Frame === undefined) return undefined;
    const runFrom = frameRunFrom(probe, Frame);
    const read = frameGetStore(probe, Frame);
    const outer = {};
    const inner = {};
    const seen = probe.run(outer, () => {
      const inside = runFrom(outer, inner, (a, b) => a === 1 && b === 2 && probe.getStore() === inner && read() === inner && runFrom(inner, outer, () => probe.getStore() === outer) && probe.getStore() === inner, 1, 2);
      let restored = false;
      try {
        runFrom(outer, inner, () => {
          throw outer;
        });
      } catch (error) {
        restored = error === outer && probe.getStore() === outer;
      }
      return inside && restored && probe.getStore() === outer && read() === outer;
    });
    return seen && probe.getStore() === undefined && read() === undefined ? Frame : undefined;
  } catch {
    return undefined;
  } finally {
    probe?.disable?.();
  }
}

/**
 * The carrier: an AsyncLocalStorage, with the fixed-key getStore() and run()
 * when this Node allows them, or, where its stores live in AsyncContextFrame,
 * runFrom() (frameRunFrom), the frame's getStore() (frameGetStore) and a
 * run() that is runFrom() told the current store.
 */
export function createCarrier(Storage = AsyncLocalStorage) {
  const carrier = new Storage();
  // The checks try the carrier itself, not an instance of their own (it is
  // as new after them: untouched where they do not run, else disabled and
  // empty). Every closure a factory above makes shares one feedback vector
  // in V8: a probe's fixed-key read, with its own kResourceStore, can turn
  // the carrier's `resource[key]` into a megamorphic keyed load, and the
  // fixed key then saves nothing (a scratch bench, Node 20 and 22: the read
  // 5.3-5.9 ns in a closure a probe had run through, 2.6 ns without).
  if (keepsStoresInResources(Storage, carrier)) {
    carrier.getStore = fixedKeyGetStore(carrier);
    carrier.run = fixedKeyRun(carrier);
  } else {
    const Frame = keepsStoresInFrames(Storage, carrier);
    if (Frame !== undefined) {
      const runFrom = frameRunFrom(carrier, Frame);
      const getStore = frameGetStore(carrier, Frame);
      carrier.runFrom = runFrom;
      carrier.getStore = getStore;
      // For every other scope the carrier enters (a request's, a job's, a
      // bound callback's): the one frame too.
      carrier.run = function run(store, callback, ...args) {
        return runFrom(getStore(), store, callback, ...args);
      };
    }
  }
  return carrier;
}

// Scope carriers for browsers, shaped like Node's AsyncLocalStorage
// (getStore, run, enterWith) so js/core/api.js works unchanged over them.
//
// What propagates where (the README repeats this; keep them in step):
// - AsyncContext.Variable (TC39 proposal; no shipping browser has it yet):
//   withContext scopes follow native await and promise callbacks, and
//   whatever else the platform's AsyncContext integration carries (timers,
//   per the proposal's web integration). enterContext cannot be expressed
//   with AsyncContext (a Variable
//   only changes inside run()), so its scope is an override seen by the rest
//   of the current synchronous code only, not by async work started after it.
// - Otherwise a synchronous scope stack: withContext scopes are seen by
//   everything its callback runs synchronously, and by nothing that runs
//   later (after a native await, in a .then, a timer or an event listener)
//   unless that callback was wrapped with bind(fn). enterContext's scope
//   applies to the rest of the current synchronous code: inside a
//   withContext callback until that callback returns, outside any until the
//   current task's synchronous code ends (so it never leaks into the next
//   event handler).

/** Marks "no enterContext override in effect". */
const NONE = Symbol('mellea-context.none');

/**
 * Clears an override made outside any run() once the current synchronous
 * code is over. Microtasks queued before enterContext was called run first
 * and may still see it; nothing after this task does.
 */
function clearAfterTask(carrier, generation) {
  queueMicrotask(() => {
    if (carrier.generation === generation && carrier.depth === 0) carrier.override = NONE;
  });
}

/**
 * enterWith for both carriers: inside run() the override ends with the run;
 * only a top-level one needs clearing (and only the latest top-level one counts).
 */
function enterOverride(carrier, store) {
  carrier.override = store;
  if (carrier.depth === 0) clearAfterTask(carrier, ++carrier.generation);
}

export class StackCarrier {
  constructor() {
    this.override = NONE;
    this.depth = 0;
    this.generation = 0;
    this.kind = 'stack';
  }

  getStore() {
    return this.override === NONE ? undefined : this.override;
  }

  run(store, fn, ...args) {
    // try/finally so a throw out of fn restores the outer scope.
    const saved = this.override;
    this.override = store;
    this.depth++;
    try {
      return fn(...args);
    } finally {
      this.depth--;
      this.override = saved;
    }
  }

  enterWith(store) {
    enterOverride(this, store);
  }
}

export class AsyncContextCarrier {
  constructor(Variable) {
    this.variable = new Variable({ name: 'mellea-context' });
    this.override = NONE;
    this.depth = 0;
    this.generation = 0;
    this.kind = 'AsyncContext';
  }

  getStore() {
    return this.override === NONE ? this.variable.get() : this.override;
  }

  run(store, fn, ...args) {
    // The override belongs to the synchronous code around this call: fn
    // (and the async work it starts) sees `store`, not the override.
    const saved = this.override;
    this.override = NONE;
    this.depth++;
    try {
      return this.variable.run(store, fn, ...args);
    } finally {
      this.depth--;
      this.override = saved;
    }
  }

  enterWith(store) {
    enterOverride(this, store);
  }
}

/** The best carrier this platform supports. */
export function createCarrier(global = globalThis) {
  const Variable = global.AsyncContext?.Variable;
  return typeof Variable === 'function' ? new AsyncContextCarrier(Variable) : new StackCarrier();
}

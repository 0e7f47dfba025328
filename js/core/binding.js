// Running callbacks and event listeners in the scope that was current when
// they were handed over: bind, bindEmitter (Node-style emitters and DOM
// EventTargets), lazy thenables returned from withContext, and the
// per-prototype binding the HTTP integrations use.
import { ERR_INVALID_ARG_TYPE, ERR_INVALID_OPTION, argumentError, describeType } from './errors.js';
import { ROOT } from './scope.js';

const hasOwn = Object.prototype.hasOwnProperty;
const nativeThen = Promise.prototype.then;

// js/diagnostics.js (Node only) registers itself here, so that
// configure({ diagnostics }) works without the core importing Node code.
let diagnosticsHandler;
/** @internal */
export function setDiagnosticsHandler(handler) {
  diagnosticsHandler = handler;
}
/** configure()'s `diagnostics` option: validates, returns the step that applies it. */
export function diagnosticsOption(value) {
  if (diagnosticsHandler === undefined) {
    throw argumentError(ERR_INVALID_OPTION, 'configure: diagnostics are available in Node only');
  }
  return diagnosticsHandler(value);
}

/** Gives `wrapper` the `length` and `name` of `fn` (as AsyncResource.bind and OpenTelemetry do). */
function copyShape(wrapper, fn) {
  let length = 0;
  let name = '';
  try {
    length = fn.length;
    name = fn.name;
  } catch {
    // a Proxy's getter threw: keep the defaults
  }
  Object.defineProperty(wrapper, 'length', { value: Number.isInteger(length) && length > 0 ? length : 0, configurable: true });
  Object.defineProperty(wrapper, 'name', { value: typeof name === 'string' ? name : '', configurable: true });
  return wrapper;
}

function cannotBind(what, emitter, reason) {
  return argumentError(ERR_INVALID_ARG_TYPE, `bindEmitter: cannot bind ${what} (${reason}); nothing was changed`);
}

/** Whether `obj[key] = …` can be made to hold a new own value. */
function canDefine(obj, key) {
  const own = Object.getOwnPropertyDescriptor(obj, key);
  if (own !== undefined) return own.configurable === true || own.writable === true;
  return Object.isExtensible(obj);
}

/**
 * Writes every [key, value] of `plan` onto `obj`, all or nothing: checked
 * first, and undone if a write still fails (a Proxy may refuse anything).
 */
function applyAll(obj, plan, what) {
  for (const [key] of plan) {
    if (!canDefine(obj, key)) {
      const reason = Object.isFrozen(obj) ? 'it is frozen' : Object.isSealed(obj) ? 'it is sealed' : !Object.isExtensible(obj) ? 'it is not extensible' : `its ${String(key)} cannot be replaced`;
      throw cannotBind(what, obj, reason);
    }
  }
  const before = plan.map(([key]) => [key, Object.getOwnPropertyDescriptor(obj, key)]);
  try {
    for (const [key, value, enumerable = false] of plan) {
      const own = Object.getOwnPropertyDescriptor(obj, key);
      if (own !== undefined && own.configurable !== true) obj[key] = value;
      else Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable });
    }
  } catch (error) {
    for (const [key, descriptor] of before) {
      try {
        if (descriptor === undefined) delete obj[key];
        else Object.defineProperty(obj, key, descriptor);
      } catch {
        // best effort: a Proxy that refuses this refused the change too
      }
    }
    throw cannotBind(what, obj, `writing ${'its methods'} failed: ${error?.message ?? error}`);
  }
}

/** @param carrier the scope carrier; @param current () => the current scope (ROOT when none) */
export function createBinding(carrier, current) {
  function bind(fn) {
    if (typeof fn !== 'function') throw argumentError(ERR_INVALID_ARG_TYPE, `bind: fn must be a function, got ${describeType(fn)}`);
    const scope = current();
    return copyShape(function bound(...args) {
      return carrier.run(scope, Reflect.apply, fn, this, args);
    }, fn);
  }

  /** `callback` made to run back in `caller` (the scope that called then()). */
  function backIn(caller, callback) {
    if (typeof callback !== 'function') return callback;
    return (value) => carrier.run(caller, callback, value);
  }

  /**
   * What withContext returns when `fn` returned `result` inside `scope`. A
   * native Promise (or a subclass that keeps Promise's then) passes through
   * unchanged: its work was scheduled inside the scope. A thenable with its
   * own then() may start its work only when then() is called, after
   * withContext returned (openai's APIPromise parses the response in its
   * then), so its then() runs in `scope`; the callbacks given to then() still
   * run in the caller's scope. The object is kept (its other methods too):
   * then is written onto it, or onto a stand-in when it cannot be changed.
   */
  function bindThenable(result, scope) {
    // Small enough for V8 to inline into withContext: most results are not
    // objects (measured: the whole check in one function cost a sync
    // withContext ~15% of its time; split, nothing measurable).
    if (result === null || (typeof result !== 'object' && typeof result !== 'function')) return result;
    return bindObjectResult(result, scope);
  }

  function bindObjectResult(result, scope) {
    let then;
    try {
      then = result.then;
    } catch {
      return result; // awaiting it will throw the same way, outside our code
    }
    if (then === nativeThen || typeof then !== 'function' || then.melleaScope !== undefined) return result;
    function thenInScope(onFulfilled, onRejected) {
      const caller = carrier.getStore();
      if (caller === scope) return Reflect.apply(then, this, [onFulfilled, onRejected]);
      return carrier.run(scope, Reflect.apply, then, this, [backIn(caller, onFulfilled), backIn(caller, onRejected)]);
    }
    Object.defineProperty(thenInScope, 'melleaScope', { value: scope });
    try {
      const own = Object.getOwnPropertyDescriptor(result, 'then');
      if (own === undefined ? Object.isExtensible(result) : own.configurable === true) {
        Object.defineProperty(result, 'then', { value: thenInScope, writable: true, configurable: true, enumerable: own?.enumerable ?? false });
        return result;
      }
    } catch {
      // a Proxy refused: fall through to the stand-in
    }
    return { then: (onFulfilled, onRejected) => Reflect.apply(thenInScope, result, [onFulfilled, onRejected]) };
  }

  const ADDERS = ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener'];
  const REMOVERS = ['off', 'removeListener'];
  const ONCE = new Set(['once', 'prependOnceListener']);
  // once-style adders are built on the plain adder they correspond to.
  const PLAIN_ADDER = { on: 'on', addListener: 'addListener', once: 'on', prependListener: 'prependListener', prependOnceListener: 'prependListener' };
  const BOUND = Symbol('mellea-context.boundListeners');
  const ADDING = Symbol('mellea-context.adding');
  const MARK = Symbol('mellea-context.bound');
  // Per prototype, the bound versions of its methods, shared by every emitter
  // of that prototype: an HTTP server binds req and res on every request, and
  // closures, Maps and WeakMaps per emitter cost a fifth of its throughput
  // (measured with bench/http.bench.mjs).
  const sharedByPrototype = new WeakMap();

  /**
   * `listener` wrapped to run in the current scope; `once` removes itself
   * first. `retarget(emitter, scope)`, when given, picks the scope at emit
   * time (the HTTP integrations: a request's latest scope, see js/http/).
   */
  function inScope(listener, event, once, retarget) {
    const scope = current();
    const wrapped = once
      ? function onceInScope(...args) {
          this.removeListener(event, wrapped);
          return carrier.run(retarget === undefined ? scope : retarget(this, scope), Reflect.apply, listener, this, args);
        }
      : function listenerInScope(...args) {
          return carrier.run(retarget === undefined ? scope : retarget(this, scope), Reflect.apply, listener, this, args);
        };
    // Node's EventEmitter finds a wrapper by its .listener on removal and
    // unwraps it in listeners(), as it does for its own once() wrappers.
    wrapped.listener = listener;
    return wrapped;
  }

  /** Adders for Node-style emitters (they honour .listener): nothing per emitter. */
  function makeNodeAdder(method, plainAdd) {
    const once = ONCE.has(method);
    return function addBound(event, listener) {
      if (typeof listener !== 'function') return plainAdd.call(this, event, listener);
      plainAdd.call(this, event, inScope(listener, event, once));
      return this;
    };
  }

  /** The wrappers of `listener` for `event` on `emitter`, newest last. */
  function wrappersOf(emitter, event, listener, create) {
    let byEvent = emitter[BOUND];
    if (byEvent === undefined) {
      if (!create) return undefined;
      byEvent = new Map();
      Object.defineProperty(emitter, BOUND, { value: byEvent });
    }
    let byListener = byEvent.get(event);
    if (byListener === undefined) {
      if (!create) return undefined;
      byEvent.set(event, (byListener = new WeakMap()));
    }
    let list = byListener.get(listener);
    if (list === undefined && create) byListener.set(listener, (list = []));
    return list;
  }

  /**
   * Adders for every other emitter, and for Node emitters whose methods
   * someone else replaced (OpenTelemetry's bind keeps its own map from the
   * listener to its wrapper and does not honour .listener): our wrapper is
   * what the inner method sees, and our remover hands it back on removal,
   * so each layer finds its own wrapper whichever bound first.
   */
  function makeGenericAdder(original, method) {
    const once = ONCE.has(method);
    return function addBound(event, listener) {
      // An emitter whose once() calls this.on() must not wrap twice.
      if (this[ADDING] === true || typeof listener !== 'function') return original.call(this, event, listener);
      const list = wrappersOf(this, event, listener, true);
      const wrapped = inScope(listener, event, false);
      if (once) {
        // The emitter removes a once listener itself: forget it when it runs.
        const forget = function onceForget(...args) {
          const at = list.indexOf(forget);
          if (at !== -1) list.splice(at, 1);
          return Reflect.apply(wrapped, this, args);
        };
        forget.listener = listener;
        list.push(forget);
      } else {
        list.push(wrapped);
      }
      const handed = list[list.length - 1];
      this[ADDING] = true;
      try {
        return original.call(this, event, handed);
      } finally {
        this[ADDING] = false;
      }
    };
  }

  function makeGenericRemover(original) {
    return function removeBound(event, listener) {
      const list = wrappersOf(this, event, listener, false);
      if (list === undefined || list.length === 0) return original.call(this, event, listener);
      // Node removes the most recently added match: so do we.
      return original.call(this, event, list.pop());
    };
  }

  function isNodeStyle(emitter) {
    return typeof emitter.rawListeners === 'function' && typeof emitter.removeListener === 'function';
  }

  function isEventTarget(emitter) {
    return typeof emitter.addEventListener === 'function' && typeof emitter.removeEventListener === 'function' && typeof emitter.dispatchEvent === 'function';
  }

  function boundMethodsOf(proto) {
    const cached = sharedByPrototype.get(proto);
    if (cached !== undefined) return cached;
    const methods = {};
    for (const method of ADDERS) {
      const plain = proto?.[PLAIN_ADDER[method]];
      if (typeof proto?.[method] === 'function' && typeof plain === 'function') methods[method] = makeNodeAdder(method, plain);
    }
    if (proto !== null) sharedByPrototype.set(proto, methods);
    return methods;
  }

  /**
   * Makes every emitter of `proto` (and of prototypes inheriting from it) run
   * a listener in the scope that was current when it was added, when one was.
   * One change per prototype instead of bindEmitter per object: the HTTP
   * integrations use it for IncomingMessage and ServerResponse, where writing
   * methods onto each req and res cost an HTTP server ~9% of its throughput
   * (bench/http.bench.mjs). Listeners added outside any scope are not wrapped.
   * `retarget(emitter, addTimeScope)` (optional) returns the scope a listener
   * runs in when it fires. Node only: the browser bundle is built with
   * globalThis.process undefined (scripts/build.mjs), and its minifier leaves
   * this out (~100 bytes gzipped of the payload bound).
   */
  const bindPrototypeListeners = globalThis.process === undefined ? undefined : function bindPrototypeListeners(proto, retarget) {
    if (hasOwn.call(proto, MARK)) return;
    const originals = {};
    for (const method of ADDERS) originals[method] = proto[method];
    for (const method of ADDERS) {
      const original = originals[method];
      const plain = originals[PLAIN_ADDER[method]];
      if (typeof original !== 'function' || typeof plain !== 'function') continue;
      const once = ONCE.has(method);
      Object.defineProperty(proto, method, {
        value: function addInScope(event, listener) {
          const store = carrier.getStore();
          if (typeof listener !== 'function' || store === undefined || store === ROOT) return original.call(this, event, listener);
          plain.call(this, event, inScope(listener, event, once, retarget));
          return this;
        },
        writable: true,
        configurable: true,
      });
    }
    // bindEmitter on such an emitter has nothing left to do.
    Object.defineProperty(proto, MARK, { value: true });
  };

  /** EventTarget (AbortSignal, DOM nodes, MessagePort...): add/removeEventListener on the object. */
  function bindEventTarget(target) {
    const add = target.addEventListener;
    const remove = target.removeEventListener;
    // (capture, type) -> listener -> the wrapper the target holds. The
    // target ignores a second add of the same (type, listener, capture), so
    // a second add must hand it the same wrapper.
    const held = new Map();
    const keyOf = (type, options) => `${(typeof options === 'boolean' ? options : options?.capture === true) ? 'c' : 'b'}${String(type)}`;
    function callListener(listener, self, event) {
      if (typeof listener === 'function') return listener.call(self, event);
      return listener.handleEvent(event);
    }
    function addEventListener(type, listener, options) {
      if (listener === null || (typeof listener !== 'function' && typeof listener !== 'object')) return add.call(this, type, listener, options);
      const key = keyOf(type, options);
      let byListener = held.get(key);
      const existing = byListener?.get(listener);
      if (existing !== undefined) return add.call(this, type, existing, options);
      const signal = options !== null && typeof options === 'object' ? options.signal : undefined;
      if (signal?.aborted === true) return add.call(this, type, listener, options); // never added
      const scope = current();
      const forget = () => {
        if (byListener.get(listener) === wrapped) byListener.delete(listener);
      };
      const once = options !== null && typeof options === 'object' && options.once === true;
      const wrapped = function eventListenerInScope(event) {
        if (once) forget();
        return carrier.run(scope, callListener, listener, this, event);
      };
      wrapped.listener = listener; // marks it as bound (diagnostics leave it alone)
      if (byListener === undefined) held.set(key, (byListener = new WeakMap()));
      byListener.set(listener, wrapped);
      // The target drops a listener whose signal aborts: so do we.
      if (signal !== undefined && typeof signal.addEventListener === 'function') signal.addEventListener('abort', forget, { once: true });
      return add.call(this, type, wrapped, options);
    }
    function removeEventListener(type, listener, options) {
      const byListener = held.get(keyOf(type, options));
      const wrapped = byListener?.get(listener);
      if (wrapped === undefined) return remove.call(this, type, listener, options);
      byListener.delete(listener);
      return remove.call(this, type, wrapped, options);
    }
    applyAll(target, [['addEventListener', addEventListener], ['removeEventListener', removeEventListener], [MARK, true]], 'this EventTarget');
    return target;
  }

  function bindEmitter(emitter) {
    if (emitter === null || typeof emitter !== 'object') {
      throw argumentError(ERR_INVALID_ARG_TYPE, `bindEmitter: expected an EventEmitter or an EventTarget, got ${describeType(emitter)}`);
    }
    if (emitter[MARK] === true) return emitter;
    const hasOn = typeof emitter.on === 'function';
    // NodeEventTarget has on() too, built on addEventListener: bind that.
    if (isEventTarget(emitter)) return bindEventTarget(emitter);
    if (!hasOn) throw argumentError(ERR_INVALID_ARG_TYPE, `bindEmitter: expected an EventEmitter (on/off) or an EventTarget (addEventListener), got ${describeType(emitter)}`);
    const nodeStyle = isNodeStyle(emitter);
    const proto = Object.getPrototypeOf(emitter);
    const shared = nodeStyle ? boundMethodsOf(proto) : {};
    if (shared.on !== undefined && emitter.on === shared.on) return emitter;
    // Someone else replaced methods on this emitter (OpenTelemetry's bind,
    // a library): wrap what is there, adders and removers alike.
    const replaced = [...ADDERS, ...REMOVERS].some((method) => hasOwn.call(emitter, method));
    const plan = [];
    if (nodeStyle && !replaced) {
      // Own properties, not a prototype swap: Object.setPrototypeOf on req and
      // res cut an HTTP server's throughput to a third (measured).
      for (const method of ADDERS) if (shared[method] !== undefined) plan.push([method, shared[method], true]);
    } else {
      for (const method of ADDERS) if (typeof emitter[method] === 'function') plan.push([method, makeGenericAdder(emitter[method], method), true]);
      for (const method of REMOVERS) if (typeof emitter[method] === 'function') plan.push([method, makeGenericRemover(emitter[method]), true]);
      plan.push([MARK, true]);
    }
    applyAll(emitter, plan, 'this emitter');
    return emitter;
  }

  return { bind, bindEmitter, bindPrototypeListeners, bindThenable };
}

// Running callbacks and event listeners in the scope that was current when
// they were handed over: bind, bindEmitter, and the per-prototype binding the
// HTTP integrations use.
import { ERR_INVALID_ARG_TYPE, argumentError, describeType } from './errors.js';
import { ROOT } from './scope.js';

const hasOwn = Object.prototype.hasOwnProperty;

/** @param carrier the scope carrier; @param current () => the current scope (ROOT when none) */
export function createBinding(carrier, current) {
  function bind(fn) {
    if (typeof fn !== 'function') throw argumentError(ERR_INVALID_ARG_TYPE, `bind: fn must be a function, got ${describeType(fn)}`);
    const scope = current();
    return function bound(...args) {
      return carrier.run(scope, Reflect.apply, fn, this, args);
    };
  }

  const ADDERS = ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener'];
  const REMOVERS = ['off', 'removeListener'];
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
    const once = method === 'once' || method === 'prependOnceListener';
    return function addBound(event, listener) {
      if (typeof listener !== 'function') return plainAdd.call(this, event, listener);
      plainAdd.call(this, event, inScope(listener, event, once));
      return this;
    };
  }

  /** Adders for other emitters: wrappers remembered per emitter for removal. */
  function makeGenericAdder(original) {
    return function addBound(event, listener) {
      // An emitter whose once() calls this.on() must not wrap twice.
      if (this[ADDING] === true || typeof listener !== 'function') return original.call(this, event, listener);
      const wrapped = inScope(listener, event, false);
      const byEvent = this[BOUND] ?? (this[BOUND] = new Map());
      let byListener = byEvent.get(event);
      if (byListener === undefined) byEvent.set(event, (byListener = new WeakMap()));
      byListener.set(listener, wrapped);
      this[ADDING] = true;
      try {
        return original.call(this, event, wrapped);
      } finally {
        this[ADDING] = false;
      }
    };
  }

  function makeGenericRemover(original) {
    return function removeBound(event, listener) {
      const wrapped = this[BOUND]?.get(event)?.get(listener);
      return original.call(this, event, wrapped ?? listener);
    };
  }

  function isNodeStyle(emitter) {
    return typeof emitter.rawListeners === 'function' && typeof emitter.removeListener === 'function';
  }

  function boundMethodsOf(proto, nodeStyle) {
    const cached = sharedByPrototype.get(proto);
    if (cached !== undefined && cached.nodeStyle === nodeStyle) return cached.methods;
    const methods = {};
    for (const method of ADDERS) {
      const plain = proto?.[PLAIN_ADDER[method]];
      if (typeof proto?.[method] !== 'function') continue;
      if (nodeStyle && typeof plain === 'function') methods[method] = makeNodeAdder(method, plain);
      else methods[method] = makeGenericAdder(proto[method]);
    }
    if (!nodeStyle) {
      for (const method of REMOVERS) if (typeof proto?.[method] === 'function') methods[method] = makeGenericRemover(proto[method]);
    }
    if (proto !== null) sharedByPrototype.set(proto, { nodeStyle, methods });
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
   * runs in when it fires.
   */
  function bindPrototypeListeners(proto, retarget) {
    if (hasOwn.call(proto, MARK)) return;
    const originals = {};
    for (const method of ADDERS) originals[method] = proto[method];
    for (const method of ADDERS) {
      const original = originals[method];
      const plain = originals[PLAIN_ADDER[method]];
      if (typeof original !== 'function' || typeof plain !== 'function') continue;
      const once = method === 'once' || method === 'prependOnceListener';
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
  }

  function bindEmitter(emitter) {
    if (emitter === null || typeof emitter !== 'object' || typeof emitter.on !== 'function') {
      throw argumentError(ERR_INVALID_ARG_TYPE, `bindEmitter: expected an EventEmitter, got ${describeType(emitter)}`);
    }
    const nodeStyle = isNodeStyle(emitter);
    const shared = boundMethodsOf(Object.getPrototypeOf(emitter), nodeStyle);
    // Already bound? (No marker property: every property written to req and
    // res per request costs an HTTP server throughput, so write only methods.)
    if ((shared.on !== undefined && emitter.on === shared.on) || emitter[MARK] === true) return emitter;
    // Own properties, not a prototype swap: Object.setPrototypeOf on req and
    // res cut an HTTP server's throughput to a third (measured).
    const methods = nodeStyle ? ADDERS : [...ADDERS, ...REMOVERS];
    for (const method of methods) {
      if (hasOwn.call(emitter, method)) {
        // The emitter overrides this method itself: wrap its own version,
        // and mark the emitter, since its on() is not the shared one.
        const own = emitter[method];
        if (typeof own !== 'function') continue;
        if (REMOVERS.includes(method)) emitter[method] = makeGenericRemover(own);
        else if (nodeStyle && !hasOwn.call(emitter, PLAIN_ADDER[method])) emitter[method] = makeNodeAdder(method, own);
        else emitter[method] = makeGenericAdder(own);
        if (emitter[MARK] !== true) Object.defineProperty(emitter, MARK, { value: true });
      } else if (shared[method] !== undefined) {
        emitter[method] = shared[method];
      }
    }
    return emitter;
  }

  return { bind, bindEmitter, bindPrototypeListeners };
}

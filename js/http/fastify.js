// Fastify 5. Fastify asks genReqId for the request's id, creates the
// request's child logger with it and logs "incoming request" before any
// onRequest hook runs (lib/route.js routeHandler). So the request's scope is
// made in genReqId (fastifyOptions()), Fastify's own lines are written in it
// through a LogController (also fastifyOptions()), and the plugin's onRequest
// hook runs the rest of the request in that same scope.
import { internals } from '../node/runtime.js';
import { describeType } from '../core/errors.js';
import { compileOptions, invalidOption } from './options.js';
import { appLogController } from './fastify-module.js';
import { announceStart, bindRequestListeners, requestStarter, scopeNow, stateOf } from './request-state.js';

const { carrier } = internals;
// Keys Fastify itself may pass to a plugin registered with options.
const FASTIFY_KEYS = new Set(['prefix', 'logLevel', 'logSerializers']);
// genReqId functions made by fastifyOptions(), to the request starter they use.
const starters = new WeakMap();
const LABEL = /^[A-Za-z_$][\w$-]{0,63}$/;

function stateIn(args) {
  for (const arg of args) {
    const raw = arg !== null && typeof arg === 'object' ? arg.raw : undefined;
    const state = stateOf(raw) ?? stateOf(raw?.req);
    if (state !== undefined) return state;
  }
  return undefined;
}

/** Fastify's LogController with every request line written in the request's scope. */
function scopedLogController(Base, requestIdLogLabel, disableRequestLogging) {
  class MelleaLogController extends Base {}
  for (const name of Object.getOwnPropertyNames(Base.prototype)) {
    const method = Base.prototype[name];
    if (name === 'constructor' || name === 'isLogDisabled' || typeof method !== 'function') continue;
    Object.defineProperty(MelleaLogController.prototype, name, {
      value: function inRequestScope(...args) {
        const state = stateIn(args);
        if (state === undefined) return Reflect.apply(method, this, args);
        const scope = scopeNow(state);
        if (scope === carrier.getStore()) return Reflect.apply(method, this, args);
        return carrier.run(scope, Reflect.apply, method, this, args);
      },
      writable: true,
      configurable: true,
    });
  }
  return new MelleaLogController({ requestIdLogLabel, disableRequestLogging });
}

/**
 * Options to spread into Fastify's: Fastify({ logger, ...fastifyOptions(options) }),
 * then app.register(fastifyContext). `options` are the context options
 * (headerName, trustInbound, echo, fields, onError), `requestIdLogLabel`
 * (the key of the id on Fastify's lines, default 'request_id': one key, the
 * same as everywhere else; 'reqId' keeps Fastify's, with the same value),
 * `disableRequestLogging` (Fastify's, given to the LogController) and
 * `fastify`, the app's Fastify module (default: the one copy loaded; see
 * fastify-module.js for why never one found from this package's folder).
 */
export function fastifyOptions(options) {
  const where = 'fastifyOptions';
  const compiled = compileOptions(options, where, { extra: ['requestIdLogLabel', 'disableRequestLogging', 'fastify'] });
  const requestIdLogLabel = options?.requestIdLogLabel ?? 'request_id';
  if (typeof requestIdLogLabel !== 'string' || !LABEL.test(requestIdLogLabel)) {
    throw invalidOption(where, `requestIdLogLabel must be a log key such as 'request_id' or 'reqId', got ${typeof requestIdLogLabel === 'string' ? JSON.stringify(requestIdLogLabel) : typeof requestIdLogLabel}`);
  }
  // Fastify reads disableRequestLogging from its LogController (its own
  // top-level option is deprecated since 5.10 and ignored once a
  // logController is given), so it is an option here.
  const disableRequestLogging = options?.disableRequestLogging;
  if (disableRequestLogging !== undefined && typeof disableRequestLogging !== 'boolean' && typeof disableRequestLogging !== 'function') {
    throw invalidOption(where, `disableRequestLogging must be a boolean or a function (request) => boolean, got ${describeType(disableRequestLogging)}`);
  }
  const Base = appLogController(options?.fastify, where, invalidOption);
  const start = requestStarter(compiled, { reuse: true });
  bindRequestListeners();
  function genReqId(req) {
    return start(req).id;
  }
  starters.set(genReqId, compiled);
  const out = { genReqId };
  // Fastify before 5.10.0 has no LogController (fastify.js of 5.9.0 and 5.10.0
  // compared): its own lines then carry the id only (requestIdLogLabel).
  if (typeof Base === 'function') {
    out.logController = scopedLogController(Base, requestIdLogLabel, disableRequestLogging);
  } else {
    out.requestIdLogLabel = requestIdLogLabel;
    if (disableRequestLogging !== undefined) out.disableRequestLogging = disableRequestLogging;
  }
  return out;
}

function enterNext(state, request, next) {
  announceStart(state, request.raw);
  next();
}

/** Later hooks of the request run in its latest scope (an async auth hook may have added fields). */
function reenter(request, reply, next) {
  const state = stateOf(request.raw);
  if (state === undefined) return next();
  const scope = scopeNow(state);
  if (scope === carrier.getStore()) return next();
  return carrier.run(scope, next);
}

function inLatestScope(handler) {
  return function handlerInRequestScope(request, reply) {
    const state = stateOf(request.raw);
    if (state === undefined) return handler.call(this, request, reply);
    const scope = scopeNow(state);
    if (scope === carrier.getStore()) return handler.call(this, request, reply);
    return carrier.run(scope, Reflect.apply, handler, this, [request, reply]);
  };
}

/**
 * Fastify 5 plugin: app.register(fastifyContext, options). Applies to the
 * whole app (skip-override, like fastify-plugin). With Fastify({
 * ...fastifyOptions() }) the request's scope was made by genReqId and options
 * belong there; without, the plugin makes it in onRequest from its own
 * options (Fastify's reqId is then Fastify's own counter). The onRequest
 * hook enters the scope with run(), not enterWith(), so nothing leaks into
 * the next request on a kept-alive socket.
 */
export function fastifyContext(fastify, options, done) {
  let compiled = starters.get(fastify.genReqId);
  try {
    if (compiled !== undefined) {
      const given = options === undefined || options === null ? [] : Object.keys(options).filter((k) => !FASTIFY_KEYS.has(k));
      if (given.length > 0) throw invalidOption('fastifyContext', `options (${given.join(', ')}) go to fastifyOptions(), which made this app's genReqId, not to the plugin`);
    } else {
      compiled = compileOptions(options, 'fastifyContext', { ignored: FASTIFY_KEYS });
    }
  } catch (error) {
    done(error);
    return;
  }
  const start = requestStarter(compiled, { reuse: true });
  const { header, echo } = compiled;
  bindRequestListeners();
  fastify.addHook('onRequest', function melleaContext(request, reply, next) {
    const state = start(request.raw);
    if (echo) reply.header(header, state.id);
    carrier.run(scopeNow(state), enterNext, state, request, next);
  });
  fastify.addHook('preValidation', reenter);
  fastify.addHook('preHandler', reenter);
  fastify.addHook('onRoute', (route) => {
    if (typeof route.handler === 'function') route.handler = inLatestScope(route.handler);
  });
  done();
}
fastifyContext[Symbol.for('skip-override')] = true;
fastifyContext[Symbol.for('fastify.display-name')] = 'mellea-context';
fastifyContext[Symbol.for('plugin-meta')] = { name: 'mellea-context', fastify: '5.x' };

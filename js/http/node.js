// node:http and Express/Connect: the request's scope around the handler or
// the rest of the middleware chain; pino-http options that use the same id.
import { internals } from '../node/runtime.js';
import { argumentError, describeType } from '../core/errors.js';
import { compileOptions } from './options.js';
import { announceStart, bindRequestListeners, requestIdOf, requestStarter } from './request-state.js';
import { hasRequestScopeListeners } from '../request-hooks.js';

const { carrier } = internals;
const ReflectApply = Reflect.apply;

export function echoId(res, name, id) {
  // No headersSent check first: setHeader throws ERR_HTTP_HEADERS_SENT then,
  // and on Express's res (its prototype swapped for app.response) reading
  // the getter was ~0.5% of an Express service's CPU (bench/http.bench.mjs
  // under --cpu-prof, line ticks: 35-42 of echoId's ~60).
  try {
    res.setHeader(name, id);
  } catch {
    // A response already committed by someone else keeps its headers.
  }
}

function enterHandler(state, handler, self, req, res) {
  announceStart(state, req);
  return handler.call(self, req, res);
}

/**
 * Wraps a node:http request listener: http.createServer(withRequestContext(handler, options)).
 */
export function withRequestContext(handler, options) {
  if (typeof handler !== 'function') {
    throw argumentError('ERR_INVALID_ARG_TYPE', `withRequestContext: handler must be a function, got ${describeType(handler)}`);
  }
  const compiled = compileOptions(options, 'withRequestContext');
  const start = requestStarter(compiled);
  const { header, echo } = compiled;
  bindRequestListeners();
  return function requestWithContext(req, res) {
    const state = start(req);
    if (echo) echoId(res, header, state.id);
    // Without a request-scope listener (mellea-context/otel's edge spans
    // add one) there is no start hook to call: the handler runs straight in
    // the scope, Reflect.apply(handler, this, [req, res]). Not a measured
    // speed-up: node:http's instructions per request did not change with it
    // (Node 20, three processes each, docs/performance.md).
    if (!hasRequestScopeListeners()) return carrier.run(state.latest, ReflectApply, handler, this, [req, res]);
    return carrier.run(state.latest, enterHandler, state, handler, this, req, res);
  };
}

function enterNext(state, req, next) {
  announceStart(state, req);
  next();
}

// Express swaps each request's prototype (Object.setPrototypeOf(req,
// app.request), in app.handle) and then adds properties of its own. Before
// V8 13 (Node 20 and 22) every property added after the swap makes the
// request a hidden class of its own: req.id = id there measured +1.4 to +2.2
// us a request over Express's own writes, +0.4 to +0.8 us when the request
// already had an `id` before the swap, and nothing on Node 24 (two runs a
// Node of bench/express-request.bench.mjs's second group). So on
// those Nodes the middleware, on the first request it serves, wraps its
// app's handle once (its own app only, nothing process-wide): each request
// gets an own `id`, undefined, before the swap, and req.id = id is a store.
// An id someone set before (withRequestContext(app), a proxy) is kept.
const PRESETS_ID = Number.parseInt(globalThis.process?.versions?.v8 ?? '', 10) < 13;
const kIdSlot = Symbol('mellea-context.idSlot');

function presetIdSlot(app) {
  if (typeof app !== 'function' || typeof app.handle !== 'function' || app.handle[kIdSlot] === true) return;
  const handle = app.handle;
  function handleWithIdSlot(req, res, callback) {
    if (req.id === undefined) req.id = undefined;
    return ReflectApply(handle, this, arguments);
  }
  handleWithIdSlot[kIdSlot] = true;
  app.handle = handleWithIdSlot;
}

/** Express/Connect middleware: app.use(contextMiddleware(options)), first in the chain. */
export function contextMiddleware(options) {
  const compiled = compileOptions(options, 'contextMiddleware');
  const start = requestStarter(compiled);
  const { header, echo } = compiled;
  bindRequestListeners();
  // Only the first request's app (a middleware is mounted on one app; a
  // second app's requests work the same, without the preset).
  let appSeen = !PRESETS_ID;
  return function melleaContext(req, res, next) {
    if (!appSeen) {
      appSeen = true;
      presetIdSlot(req.app);
    }
    const state = start(req);
    if (echo) echoId(res, header, state.id);
    if (!hasRequestScopeListeners()) carrier.run(state.latest, next);
    else carrier.run(state.latest, enterNext, state, req, next);
  };
}

/**
 * Options to spread into pino-http's: pinoHttp({ logger, ...pinoHttpOptions() }).
 * genReqId answers the request's id (the one in request_id, req.id and the
 * echoed header), so pino-http's req.id and reqId binding never differ from it.
 */
export function pinoHttpOptions(options) {
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object' || Array.isArray(options)) {
      throw argumentError('ERR_INVALID_ARG_TYPE', `pinoHttpOptions: options must be an object, got ${describeType(options)}`);
    }
    for (const key of Object.keys(options)) {
      throw argumentError('ERR_MELLEA_UNKNOWN_OPTION', `pinoHttpOptions: unknown option ${JSON.stringify(key)}; it takes none (pass the context options to contextMiddleware)`);
    }
  }
  return { genReqId: requestIdOf };
}

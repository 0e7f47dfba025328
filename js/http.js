// mellea-context/http: one scope per inbound request, for node:http,
// Express/Connect and Fastify 5. Loads without OpenTelemetry.
//
// Per request: request_id is a fresh generateRequestId(), or with
// trustInbound the inbound id when it passes the request-id rule (else
// replaced, never echoed); with trustInbound the mellea.<field> baggage
// members are taken too; fields(req) adds fields; the id is echoed back.
// The request's emitters are bound to the scope, because node:http emits
// 'data', 'end' and 'finish' in the socket's async context, not the one the
// handler ran in (nodejs/node#41285).
import { IncomingMessage, ServerResponse } from 'node:http';
import { api, internals } from './node/runtime.js';
import { argumentError, describeType } from './core/errors.js';
import { EMPTY, fieldsFromBaggage } from './propagation/baggage.js';
import { readHeader } from './propagation/headers.js';
import { acceptInboundId, REQUEST_ID_PATTERN } from './propagation/request-id.js';

export { injectHeaders, extractHeaders } from './propagation/inject.js';
export { contextFetch } from './context-fetch.js';
export { REQUEST_ID_PATTERN };

const { current, resolve, childWith, registry, carrier } = internals;
const { generateRequestId } = api;

// Listeners added to req and res inside the request's scope (req.on('data'),
// res.on('finish'), ...) run in that scope (nodejs/node#41285): bound once per
// prototype when the first integration is created, not per request.
let listenersBound = false;
function bindRequestListeners() {
  if (listenersBound) return;
  listenersBound = true;
  internals.bindPrototypeListeners(IncomingMessage.prototype);
  internals.bindPrototypeListeners(ServerResponse.prototype);
}
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REQUEST_ID_INDEX = registry.lookup('request_id').index;
const OPTION_NAMES = ['headerName', 'trustInbound', 'echo', 'fields', 'onError'];
// Keys Fastify itself may pass to a plugin registered with options.
const FASTIFY_KEYS = new Set(['prefix', 'logLevel', 'logSerializers']);

function invalidOption(where, message) {
  return argumentError('ERR_MELLEA_INVALID_OPTION', `${where}: ${message}`);
}

/** Validates options once; returns the per-request function. */
function compile(options, where, ignored) {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw argumentError('ERR_INVALID_ARG_TYPE', `${where}: options must be an object, got ${describeType(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key) && !ignored?.has(key)) {
      throw argumentError('ERR_MELLEA_UNKNOWN_OPTION', `${where}: unknown option ${JSON.stringify(key)}; known options: ${OPTION_NAMES.join(', ')}`);
    }
  }
  const { headerName = 'x-request-id', trustInbound = false, echo = true, fields, onError } = options;
  if (typeof headerName !== 'string' || !TOKEN.test(headerName)) {
    throw invalidOption(where, `headerName must be an HTTP header name (a token), got ${typeof headerName === 'string' ? JSON.stringify(headerName) : describeType(headerName)}`);
  }
  if (typeof trustInbound !== 'boolean') throw invalidOption(where, `trustInbound must be a boolean, got ${describeType(trustInbound)}`);
  if (typeof echo !== 'boolean') throw invalidOption(where, `echo must be a boolean, got ${describeType(echo)}`);
  if (fields !== undefined && typeof fields !== 'function') throw invalidOption(where, `fields must be a function (req) => object, got ${describeType(fields)}`);
  if (onError !== undefined && typeof onError !== 'function') throw invalidOption(where, `onError must be a function (error, req) => void, got ${describeType(onError)}`);
  const header = headerName.toLowerCase();
  let warned = false;

  // A failing fields(req) costs the request its extra fields, not its
  // response: telemetry must never turn a 200 into a 500.
  function report(error, req) {
    if (onError !== undefined) {
      try {
        onError(error, req);
      } catch {
        // The reporter failing must not fail the request either.
      }
      return;
    }
    if (warned) return;
    warned = true;
    process.emitWarning(`${where}: fields(req) failed, requests continue without the extra fields (pass onError to see every failure): ${error?.message ?? error}`, {
      code: 'MELLEA_HTTP_FIELDS',
    });
  }

  function extraFields(req, parent) {
    let extra;
    try {
      extra = fields(req);
      if (extra === undefined || extra === null) return parent;
      if (typeof extra !== 'object' || Array.isArray(extra) || typeof extra.then === 'function') {
        throw argumentError('ERR_INVALID_ARG_TYPE', `fields(req) must return a plain object synchronously, got ${typeof extra?.then === 'function' ? 'a promise' : describeType(extra)}`);
      }
      return resolve(parent, extra);
    } catch (error) {
      report(error, req);
      return parent;
    }
  }

  /** The request's scope and id. Never throws: every step has a fallback. */
  function scopeFor(req) {
    let parent = current();
    let id;
    if (trustInbound) {
      const headers = req.headers;
      id = acceptInboundId(headers[header], registry.maxValueBytes);
      const inbound = fieldsFromBaggage(readHeader(headers, 'baggage'));
      if (inbound !== EMPTY) {
        id ??= acceptInboundId(inbound.request_id, registry.maxValueBytes);
        try {
          parent = resolve(parent, inbound);
        } catch {
          // Values passed the C++ field rules; only a configure() race gets here.
        }
      }
    }
    if (fields !== undefined) parent = extraFields(req, parent);
    if (id === undefined) {
      id = generateRequestId();
      if (id.length > registry.maxValueBytes) id = id.slice(0, registry.maxValueBytes);
    }
    // The id is valid by construction or by the rule above.
    return childWith(parent, REQUEST_ID_INDEX, id);
  }

  return { scopeFor, header, echo };
}

function echoId(res, name, scope) {
  try {
    if (!res.headersSent) res.setHeader(name, scope.values[REQUEST_ID_INDEX]);
  } catch {
    // A response already committed by someone else keeps its headers.
  }
}

function enterHandler(handler, self, req, res) {
  return handler.call(self, req, res);
}

/**
 * Wraps a node:http request listener: http.createServer(withRequestContext(handler, options)).
 */
export function withRequestContext(handler, options) {
  if (typeof handler !== 'function') {
    throw argumentError('ERR_INVALID_ARG_TYPE', `withRequestContext: handler must be a function, got ${describeType(handler)}`);
  }
  const { scopeFor, header, echo } = compile(options, 'withRequestContext');
  bindRequestListeners();
  return function requestWithContext(req, res) {
    const scope = scopeFor(req);
    if (echo) echoId(res, header, scope);
    return carrier.run(scope, enterHandler, handler, this, req, res);
  };
}

function enterNext(req, res, next) {
  next();
}

/** Express/Connect middleware: app.use(contextMiddleware(options)), first in the chain. */
export function contextMiddleware(options) {
  const { scopeFor, header, echo } = compile(options, 'contextMiddleware');
  bindRequestListeners();
  return function melleaContext(req, res, next) {
    const scope = scopeFor(req);
    if (echo) echoId(res, header, scope);
    carrier.run(scope, enterNext, req, res, next);
  };
}

/**
 * Fastify 5 plugin: app.register(fastifyContext, options). Applies to the
 * whole app (skip-override, like fastify-plugin). The onRequest hook enters
 * the scope around the rest of the request's lifecycle with run(), not
 * enterWith(), so nothing leaks into the next request on a kept-alive socket.
 */
export function fastifyContext(fastify, options, done) {
  let compiled;
  try {
    compiled = compile(options, 'fastifyContext', FASTIFY_KEYS);
  } catch (error) {
    done(error);
    return;
  }
  const { scopeFor, header, echo } = compiled;
  bindRequestListeners();
  fastify.addHook('onRequest', function melleaContext(request, reply, next) {
    const scope = scopeFor(request.raw);
    if (echo) reply.header(header, scope.values[REQUEST_ID_INDEX]);
    carrier.run(scope, enterNext, request.raw, reply.raw, next);
  });
  done();
}
fastifyContext[Symbol.for('skip-override')] = true;
fastifyContext[Symbol.for('fastify.display-name')] = 'mellea-context';
fastifyContext[Symbol.for('plugin-meta')] = { name: 'mellea-context', fastify: '5.x' };

// mellea-context/http: one scope and one id per inbound request, for
// node:http, Express/Connect (with or without pino-http) and Fastify 5.
// Loads without OpenTelemetry and without any framework.
//
// Per request: request_id is a fresh generateRequestId() (or, when the
// caller is trusted with trustInbound.requestId 'adopt', its valid id), also
// set as req.id and given to Fastify's genReqId and pino-http's; trusted
// baggage fields are taken per field; fields(req) adds fields; the id is
// echoed. addRequestFields() adds fields learned later (auth). The request's
// emitters are bound to its latest scope, because node:http emits 'data',
// 'end' and 'finish' in the socket's async context, not the one the handler
// ran in (nodejs/node#41285).
export { injectHeaders, extractHeaders, createInjector } from './propagation/inject.js';
export { REQUEST_ID_PATTERN } from './propagation/request-id.js';
export { withRequestContext, contextMiddleware, pinoHttpOptions } from './http/node.js';
export { fastifyContext, fastifyOptions } from './http/fastify.js';
export { addRequestFields, getInboundRequestId } from './http/request-state.js';
export { contextFetch } from './context-fetch.js';

// mellea-context/http for Cloudflare Workers: outbound and inbound baggage
// (injectHeaders, extractHeaders, createInjector, contextFetch) and the
// request-id rule. The node:http, Express and Fastify integrations of the
// Node entry are left out: a Worker answers fetch events, not node:http
// requests (a handler runs withContext({ ...extractHeaders(request.headers), ... }, fn)).
export { injectHeaders, extractHeaders, createInjector } from '../propagation/inject.js';
export { REQUEST_ID_PATTERN } from '../propagation/request-id.js';
export { contextFetch } from '../context-fetch.js';

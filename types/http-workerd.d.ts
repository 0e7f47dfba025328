// mellea-context/http under the `workerd` condition (Cloudflare Workers):
// baggage in and out, contextFetch and the request-id rule. The node:http,
// Express and Fastify integrations are Node's only.
export { REQUEST_ID_PATTERN, OutboundPolicy, InjectHeadersOptions, injectHeaders, createInjector, extractHeaders, contextFetch } from './http.js';

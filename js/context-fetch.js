// contextFetch: a fetch that writes the context current at each call into
// that call's baggage header. The per-call answer to a client built once
// with `defaultHeaders: injectHeaders({})`, whose headers are a snapshot of
// the scope it was built in, sent with every later call (another user's
// session on the wire).
import { internals } from './node/runtime.js';
import { argumentError, describeType } from './core/errors.js';
import { createInjector } from './propagation/inject.js';

const { current, isEmpty } = internals;

/**
 * `contextFetch(baseFetch?, policy?)`: a function with fetch's signature that calls
 * `baseFetch` (default: the global fetch as it is at each call, so fetch
 * instrumentation installed later still applies) with the caller's headers
 * plus `baggage` members for the current fields. Outside any scope it passes
 * the arguments through untouched. For clients that take a fetch:
 * `new OpenAI({ fetch: contextFetch() })`. `policy` is the outbound policy of
 * createInjector ({ destinations, redact, redactExternal }), validated here,
 * once, and applied to each call's URL: a destination not allow-listed is
 * external (session_id hashed by default).
 */
export function contextFetch(baseFetch, policy) {
  if (baseFetch !== undefined && baseFetch !== null && typeof baseFetch !== 'function') {
    throw argumentError('ERR_INVALID_ARG_TYPE', `contextFetch: baseFetch must be a function (fetch), got ${describeType(baseFetch)}`);
  }
  const injectContext = createInjector(policy);
  return function fetchWithContext(input, init) {
    const target = baseFetch ?? globalThis.fetch;
    if (isEmpty(current())) return target(input, init);
    // A fresh Headers per call: the caller's object is never written to,
    // so it cannot carry this call's fields into the next one.
    const isRequest = typeof Request === 'function' && input instanceof Request;
    const from = init?.headers ?? (isRequest ? input.headers : undefined);
    const url = isRequest ? input.url : input instanceof URL ? input : typeof input === 'string' ? input : undefined;
    const headers = injectContext(new Headers(from), url);
    return target(input, { ...init, headers });
  };
}

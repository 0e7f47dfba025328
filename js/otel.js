// mellea-context/otel: span attributes and W3C baggage propagation for
// OpenTelemetry. Only this entry point imports @opentelemetry/api (an
// optional peer); the core and mellea-context/http load without it.
import { context as otelContext } from '@opentelemetry/api';
import { api } from './node/runtime.js';
import { argumentError, describeType } from './core/errors.js';
import { EMPTY } from './propagation/baggage.js';
import { MELLEA_FIELDS_KEY, fieldsFromContext } from './otel/carried.js';
import { holdBaggageDedupe } from './otel/baggage-dedupe.js';

export { injectHeaders, extractHeaders, createInjector } from './propagation/inject.js';
export { ContextSpanProcessor } from './otel/span-processor.js';
export { ContextPropagator } from './otel/propagator.js';
export { MELLEA_FIELDS_KEY, fieldsFromContext };

/**
 * Merges duplicate baggage headers (and members) on fetch/undici requests
 * until the returned function is called. ContextPropagator does this itself
 * (option `dedupe`); call this when only OpenTelemetry's W3CBaggagePropagator
 * is installed and you also call injectHeaders.
 */
export function dedupeBaggage() {
  return holdBaggageDedupe();
}

/**
 * Runs fn(...args) with `otelCtx` active (context.with) and, outside any
 * scope, inside withContext(the fields an extract() put in it): logs, spans
 * and outbound calls in fn then all see the caller's session. Inside a scope
 * (a request scope of mellea-context/http) that scope stays: it decided what
 * this service takes from its caller.
 */
export function withOtelContext(otelCtx, fn, ...args) {
  if (typeof fn !== 'function') {
    throw argumentError('ERR_INVALID_ARG_TYPE', `withOtelContext: fn must be a function, got ${describeType(fn)}`);
  }
  const run = () => otelContext.with(otelCtx, fn, undefined, ...args);
  if (api.getCurrentContext() !== EMPTY) return run();
  const found = fieldsFromContext(otelCtx);
  return found === EMPTY ? run() : api.withContext(found, run);
}

// mellea-context/otel: span attributes and W3C baggage propagation for
// OpenTelemetry. Only this entry point imports @opentelemetry/api (an
// optional peer); the core and mellea-context/http load without it.
import { context as otelContext, createContextKey } from '@opentelemetry/api';
import { api, internals } from './node/runtime.js';
import { argumentError, describeType } from './core/errors.js';
import { EMPTY, baggageFor, hasFields, scopeFromBaggage } from './propagation/baggage.js';
import { isPlainObject, keyOf } from './propagation/headers.js';

export { injectHeaders, extractHeaders } from './propagation/inject.js';

const { current, snapshotOf, ROOT } = internals;
const BAGGAGE = 'baggage';

/** Where extract() leaves the fields it read, in an OpenTelemetry Context. */
export const MELLEA_FIELDS_KEY = createContextKey('mellea-context fields');

function checkNoOptions(options, what) {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Object.keys(options).length > 0) {
    const error = argumentError('ERR_MELLEA_UNKNOWN_OPTION', `${what} takes no options, got ${describeType(options)}`);
    throw error;
  }
}

/**
 * The scope whose fields go onto a span or into outbound baggage: the current
 * withContext scope when it has fields, else the one an extract() left in the
 * OpenTelemetry context (e.g. a server span started by an instrumentation
 * before any middleware ran).
 */
function scopeFor(otelCtx) {
  const scope = current();
  if (scope !== ROOT && hasFields(scope)) return scope;
  const carried = otelCtx != null && typeof otelCtx.getValue === 'function' ? otelCtx.getValue(MELLEA_FIELDS_KEY) : undefined;
  return carried !== undefined && hasFields(carried) ? carried : undefined;
}

/** Span attributes of a scope, built once per scope (its fields never change). */
function attributesOf(scope) {
  const memo = (scope.memo ??= {});
  if (memo.otelAttributes !== undefined) return memo.otelAttributes;
  const snapshot = snapshotOf(scope);
  const attributes = {};
  for (const name of Object.keys(snapshot)) attributes[`mellea.${name}`] = snapshot[name];
  // mellea names the conversation after the session, as its Python spans do.
  if (snapshot.session_id !== undefined) attributes['gen_ai.conversation.id'] = snapshot.session_id;
  memo.otelAttributes = Object.freeze(attributes);
  return memo.otelAttributes;
}

/**
 * A SpanProcessor (sdk-trace-base 1 and 2) that sets mellea.<field> for each
 * set field, and gen_ai.conversation.id from session_id, when a span starts.
 */
export class ContextSpanProcessor {
  constructor(options) {
    checkNoOptions(options, 'ContextSpanProcessor');
  }

  onStart(span, parentContext) {
    try {
      const scope = scopeFor(parentContext);
      if (scope !== undefined) span.setAttributes(attributesOf(scope));
    } catch {
      // Telemetry must not break the traced code.
    }
  }

  onEnd() {}

  forceFlush() {
    return Promise.resolve();
  }

  shutdown() {
    return Promise.resolve();
  }
}

/**
 * After our inject, a W3C baggage propagator running later in a
 * CompositePropagator would overwrite `baggage` with its own members. On a
 * plain-object carrier (what the default setter writes to) the property
 * becomes an accessor that merges such later writes with our members, so the
 * result is the same whichever propagator runs last.
 */
function keepMerged(carrier, key, scope, value) {
  const descriptor = Object.getOwnPropertyDescriptor(carrier, key);
  if (descriptor === undefined || descriptor.value !== value || !descriptor.configurable) return;
  let held = value;
  Object.defineProperty(carrier, key, {
    configurable: true,
    enumerable: true,
    get() {
      return held;
    },
    set(next) {
      held = typeof next === 'string' && next !== held ? (baggageFor(scope, next) ?? next) : next;
    },
  });
}

/** The baggage already in an outbound carrier, whatever its shape. */
function existingBaggage(carrier) {
  if (carrier === null || typeof carrier !== 'object') return undefined;
  if (isPlainObject(carrier)) {
    const key = keyOf(carrier, BAGGAGE);
    const value = key === undefined ? undefined : carrier[key];
    return typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : undefined;
  }
  if (typeof carrier.getHeader === 'function') {
    const value = carrier.getHeader(BAGGAGE);
    return typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : undefined;
  }
  if (typeof carrier.get === 'function') {
    const value = carrier.get(BAGGAGE);
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

/**
 * A TextMapPropagator for the mellea fields as W3C baggage members
 * mellea.<field>. Composes with CompositePropagator, W3CTraceContextPropagator
 * and W3CBaggagePropagator (in either order). Never throws.
 */
export class ContextPropagator {
  constructor(options) {
    checkNoOptions(options, 'ContextPropagator');
  }

  inject(context, carrier, setter) {
    try {
      const scope = scopeFor(context);
      if (scope === undefined) return;
      const existing = existingBaggage(carrier);
      const value = baggageFor(scope, existing);
      if (value === undefined || value === '' || value === existing) return;
      const key = isPlainObject(carrier) ? (keyOf(carrier, BAGGAGE) ?? BAGGAGE) : BAGGAGE;
      setter.set(carrier, key, value);
      if (isPlainObject(carrier)) keepMerged(carrier, key, scope, value);
    } catch {
      // A propagator must not break the outbound call.
    }
  }

  extract(context, carrier, getter) {
    try {
      let raw = getter.get(carrier, BAGGAGE);
      if (Array.isArray(raw)) raw = raw.join(',');
      if (typeof raw !== 'string' || raw === '') return context;
      const scope = scopeFromBaggage(ROOT, raw);
      return scope === ROOT ? context : context.setValue(MELLEA_FIELDS_KEY, scope);
    } catch {
      return context;
    }
  }

  fields() {
    return [BAGGAGE];
  }
}

/** The fields an extract() put in an OpenTelemetry Context (frozen; {} if none). */
export function fieldsFromContext(otelCtx) {
  const scope = otelCtx != null && typeof otelCtx.getValue === 'function' ? otelCtx.getValue(MELLEA_FIELDS_KEY) : undefined;
  return scope === undefined ? EMPTY : snapshotOf(scope);
}

/**
 * Runs fn(...args) with `otelCtx` active (context.with) and, when it carries
 * extracted fields, inside withContext(those fields): logs, spans and
 * outbound calls in fn then all see the caller's session.
 */
export function withOtelContext(otelCtx, fn, ...args) {
  if (typeof fn !== 'function') {
    throw argumentError('ERR_INVALID_ARG_TYPE', `withOtelContext: fn must be a function, got ${describeType(fn)}`);
  }
  const run = () => otelContext.with(otelCtx, fn, undefined, ...args);
  const found = fieldsFromContext(otelCtx);
  return found === EMPTY ? run() : api.withContext(found, run);
}

// ContextPropagator: the mellea fields as W3C baggage members through
// OpenTelemetry's propagation API, under the outbound policy of
// js/propagation/outbound.js.
import { trace } from '@opentelemetry/api';
import { internals } from '../node/runtime.js';
import { argumentError, describeType } from '../core/errors.js';
import { baggageFor, scopeFromBaggage } from '../propagation/baggage.js';
import { isPlainObject, keyOf, readHeader } from '../propagation/headers.js';
import { compilePolicy, destinationOf, hostHeader } from '../propagation/outbound.js';
import { MELLEA_FIELDS_KEY, scopeIn } from './carried.js';
import { holdBaggageDedupe } from './baggage-dedupe.js';

const { ROOT } = internals;
const BAGGAGE = 'baggage';
const OWN_OPTIONS = ['dedupe'];

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
  return readHeader(carrier, BAGGAGE);
}

/**
 * Where an outbound call goes, for the allow-list: the carrier's host
 * header, else the client span the instrumentation made for the call
 * (server.address/server.port, url.full, or the older net.peer.*, http.url).
 * Undefined when neither says: the call counts as external.
 */
function destinationFor(otelCtx, carrier) {
  const host = carrier !== null && typeof carrier === 'object' ? readHeader(carrier, 'host') : undefined;
  if (host !== undefined) return hostHeader(host);
  const attributes = trace.getSpan(otelCtx)?.attributes;
  if (attributes === undefined || attributes === null) return undefined;
  const address = attributes['server.address'] ?? attributes['net.peer.name'];
  if (typeof address === 'string') {
    const port = attributes['server.port'] ?? attributes['net.peer.port'];
    return { host: address.toLowerCase(), port: port === undefined ? undefined : String(port) };
  }
  return destinationOf(attributes['url.full'] ?? attributes['http.url']);
}

/**
 * A TextMapPropagator for the mellea fields as W3C baggage members
 * mellea.<field>. Composes with CompositePropagator, W3CTraceContextPropagator
 * and W3CBaggagePropagator (in either order). Never throws. Options: the
 * outbound policy (destinations, redact, redactExternal) and `dedupe`
 * (default true: merge duplicate baggage headers on fetch/undici requests,
 * see ./baggage-dedupe.js; close() stops it).
 */
export class ContextPropagator {
  constructor(options) {
    this.policy = compilePolicy('ContextPropagator', options, OWN_OPTIONS);
    const dedupe = options?.dedupe ?? true;
    if (typeof dedupe !== 'boolean') {
      throw argumentError('ERR_MELLEA_INVALID_OPTION', `ContextPropagator: dedupe must be a boolean, got ${describeType(dedupe)}`);
    }
    this.release = dedupe ? holdBaggageDedupe() : undefined;
  }

  inject(context, carrier, setter) {
    try {
      const scope = scopeIn(context);
      if (scope === undefined) return;
      const policy = this.policy;
      const outbound = policy.scopeFor(scope, policy.destinationBlind ? undefined : destinationFor(context, carrier));
      const existing = existingBaggage(carrier);
      const value = baggageFor(outbound, existing);
      if (value === undefined || value === '' || value === existing) return;
      const key = isPlainObject(carrier) ? (keyOf(carrier, BAGGAGE) ?? BAGGAGE) : BAGGAGE;
      setter.set(carrier, key, value);
      if (isPlainObject(carrier)) keepMerged(carrier, key, outbound, value);
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

  /** Stops the baggage dedupe this propagator holds (see `dedupe`). */
  close() {
    this.release?.();
    this.release = undefined;
  }
}

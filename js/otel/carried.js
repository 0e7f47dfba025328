// The fields ContextPropagator.extract leaves in an OpenTelemetry Context,
// and the rule between them and the mellea scope: an active scope with
// fields wins (it is what this service's logs use); the carried fields apply
// only outside any scope.
import { createContextKey } from '@opentelemetry/api';
import { internals } from '../node/runtime.js';

const { current, isEmpty, snapshotOf, EMPTY, ROOT } = internals;

/** Where extract() leaves the fields it read, in an OpenTelemetry Context. */
export const MELLEA_FIELDS_KEY = createContextKey('mellea-context fields');

/** The scope an extract() put in `otelCtx`, or undefined. */
export function carriedScope(otelCtx) {
  const carried = otelCtx != null && typeof otelCtx.getValue === 'function' ? otelCtx.getValue(MELLEA_FIELDS_KEY) : undefined;
  return carried !== undefined && !isEmpty(carried) ? carried : undefined;
}

/** The scope whose fields apply in `otelCtx`: the active scope when it has fields, else the carried one. */
export function scopeIn(otelCtx) {
  const scope = current();
  if (scope !== ROOT && !isEmpty(scope)) return scope;
  return carriedScope(otelCtx);
}

/**
 * The fields that apply in `otelCtx` (frozen; {} if none): the active
 * scope's when it has fields (then this equals getCurrentContext()), else
 * those an extract() put in `otelCtx`.
 */
export function fieldsFromContext(otelCtx) {
  const scope = scopeIn(otelCtx);
  return scope === undefined ? EMPTY : snapshotOf(scope);
}

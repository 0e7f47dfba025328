// What the logging hooks need from a scope, made once per scope (a scope's
// fields never change) and cached in scope.memo: the serialized fragment
// `,"session_id":"s",...` built by the C++ core with redaction applied, the
// same as a frozen object, and, for the rare line whose caller already gives
// some context keys, the fragment without those keys.
import { internals } from '../node/runtime.js';

const { boundary, jsonOf, registry, isEmpty, withHandle, EMPTY } = internals;
const MEMO = 'log:';

function memoOf(scope) {
  return scope.memo ?? (scope.memo = {});
}

const isKept = (mode) => mode === 0;

function coreFragment(scope, bytes) {
  // Without redaction the fragment is the scope's JSON without its braces:
  // made once per scope (jsonOf), no crossing of its own. This runs for the
  // first line of every new scope (one per request); NO_REDACTION has no
  // bytes to look at, and the check allocates no closure.
  if (bytes.length === 0 || bytes.every(isKept)) {
    const json = jsonOf(scope);
    return json.length > 2 ? `,${json.slice(1, -1)}` : '';
  }
  if (isEmpty(scope)) return '';
  const fragment = withHandle(scope, (handle) => boundary.scopeFragment(handle, bytes));
  // The core only refuses a malformed redaction, which parseRedaction rules
  // out; were it to happen, a line without fields beats a failed log call.
  return typeof fragment === 'string' ? fragment : '';
}

/** `,"name":value...` of the scope's set fields, redaction applied ('' when none). */
export function fragmentOf(scope, redaction) {
  const memo = memoOf(scope);
  const cached = memo[redaction.fragmentKey];
  if (cached !== undefined) return cached;
  return (memo[redaction.fragmentKey] = coreFragment(scope, redaction.bytes));
}

/** The same fields as a frozen object (canonical keys, redacted values). */
export function fieldsOf(scope, redaction) {
  const memo = memoOf(scope);
  const cached = memo[redaction.fieldsKey];
  if (cached !== undefined) return cached;
  const fragment = fragmentOf(scope, redaction);
  const fields = fragment === '' ? EMPTY : Object.freeze(JSON.parse(`{${fragment.slice(1)}}`));
  return (memo[redaction.fieldsKey] = fields);
}

/**
 * The fragment without the fields whose indexes are in `omit` (a sorted
 * array, `omitKey` naming it): those keys are already in the line.
 */
export function reducedFragmentOf(scope, redaction, omit, omitKey) {
  const memo = memoOf(scope);
  const key = `${MEMO}${redaction.key}-${omitKey}`;
  const cached = memo[key];
  if (cached !== undefined) return cached;
  const bytes = new Uint8Array(Math.max(redaction.bytes.length, omit[omit.length - 1] + 1));
  bytes.set(redaction.bytes);
  for (const index of omit) bytes[index] = 2; // Redaction::kOmit
  return (memo[key] = coreFragment(scope, bytes));
}

/** Index of the context field whose canonical name is `key`, or -1. */
export function contextIndex(key) {
  const field = registry.lookup(key);
  return field !== undefined && field.name === key ? field.index : -1;
}

export { EMPTY };

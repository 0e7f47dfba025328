// The child-scope memo. Its one rule:
//
//   A parent scope remembers the children it made, keyed by the exact input
//   (the own field names in order, and their values compared with ===), at
//   most RECENT_LIMIT object inputs and SESSION_LIMIT session ids;
//   a child is remembered when the core answers it as made before (its
//   second sighting: the C++ store compares each new child with the latest
//   it made under the same parent, src/scope_store.h Create), so a fresh
//   value per call (a request id) never evicts the useful ones; configure()
//   forgets everything (the rules the children were checked under changed).
//
// A remembered child crosses nothing: a sampling loop or withContext('s-1')
// re-enters the same scope object, already stored in C++, for the cost of a
// walk over the input (no key string to build and hash: that alone cost more
// than als.run). The first two sightings cross; noting every miss in JS
// instead (the last one's names, values and scope kept in the memo, and
// compared with each new input) cost a fresh withContext({ sessionId })
// 0.09-0.3x of OpenTelemetry's context.with (in-process A/B, Node 22 and 24).
const RECENT_LIMIT = 8;
const SESSION_LIMIT = 8;

let epoch = 1;

/** Forgets every remembered child (configure() changed the rules). */
export function forgetAll() {
  epoch++;
}

function memoOf(parent) {
  const memo = parent.kids;
  if (memo !== undefined && memo.epoch === epoch) return memo;
  return (parent.kids = { epoch, recent: [], sessions: [] });
}

/**
 * The remembered child of `parent` for an input whose own enumerable fields,
 * in order, are `n` (at least 1): the first two as `k0: v0` and `k1: v1`,
 * all of them in `names`/`values` when there are more than two (else
 * undefined). The caller walked the input once (js/core/api.js
 * objectScope) and checks, on a match, that it is a plain object. Each
 * remembered input is compared by its first name and value first: a fresh
 * value (most calls) differs there. Comparing the walked fields, where
 * each remembered input was walked again with for-in, cost a fresh
 * withContext({ sessionId }) ~60-90 ns with eight remembered inputs (Node
 * 20) and each miss one for-in per remembered input.
 */
export function recallFields(parent, n, k0, v0, k1, v1, names, values) {
  const memo = parent.kids;
  if (memo === undefined || memo.epoch !== epoch) return undefined;
  const recent = memo.recent;
  for (let e = 0; e < recent.length; e++) {
    const known = recent[e];
    if (known.k0 === k0 && known.v0 === v0 && known.n === n && (n === 1 || (known.k1 === k1 && known.v1 === v1 && (n === 2 || sameRest(known, names, values))))) {
      return known.scope;
    }
  }
  return undefined;
}

/** Whether fields 2.. of `known` are `names`/`values` (===). */
function sameRest(known, names, values) {
  for (let i = 2; i < names.length; i++) if (known.names[i] !== names[i] || known.values[i] !== values[i]) return false;
  return true;
}

/**
 * Remembers `scope`, the child of `parent` the core answered as made before
 * (boundary.repeated()), for the input whose own fields are `names` in
 * order, with `values`.
 */
export function remember(parent, names, values, scope) {
  const recent = memoOf(parent).recent;
  if (recent.length >= RECENT_LIMIT) recent.shift();
  recent.push({ n: names.length, k0: names[0], v0: values[0], k1: names[1], v1: values[1], names, values, scope });
}

/**
 * The remembered child of `parent` for withContext(sessionId), or undefined.
 * The remembered children are scanned, newest first, comparing session ids
 * with ===: a fresh id (most calls) is compared with a few others, which
 * stops at the first character that differs, where a Map first hashes the
 * whole string, a cost the fresh id pays once and a remembered one never
 * again (with the bench's ids hashed already: a Map lookup measured ~0.05x
 * of OpenTelemetry's context.with on Node 24, in-process A/B).
 */
export function recallSession(parent, sessionId) {
  const memo = parent.kids;
  if (memo === undefined || memo.epoch !== epoch) return undefined;
  const sessions = memo.sessions;
  for (let i = sessions.length - 1; i >= 0; i--) if (sessions[i].sessionId === sessionId) return sessions[i];
  return undefined;
}

/** Remembers `scope`, made again for withContext(sessionId) under `parent` (see remember). */
export function rememberSession(parent, scope) {
  const sessions = memoOf(parent).sessions;
  if (sessions.length >= SESSION_LIMIT) sessions.shift();
  sessions.push(scope);
}

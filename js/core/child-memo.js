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
const hasOwn = Object.prototype.hasOwnProperty;

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
 * The remembered child of `parent` for the plain object `input`, or
 * undefined (for anything else too: a string, null, a class instance).
 * Walks the input with for-in, which allocates nothing (Object.keys and a
 * values array cost as much as the rest of a hit). Called first, before any
 * other check of the input, by withContext: the hit path is this walk, a
 * constructor check on a match, and nothing else. The walk is a function of
 * its own with plain returns (no labelled continue): it stays small enough
 * for V8 to inline. A Proxy's traps may throw here: callers catch.
 */
export function recall(parent, input) {
  const memo = parent.kids;
  if (memo === undefined || memo.epoch !== epoch || typeof input !== 'object' || input === null) return undefined;
  const recent = memo.recent;
  for (let e = 0; e < recent.length; e++) {
    const known = recent[e];
    if (matches(input, known.names, known.values)) {
      // Checked on a match only: remembered inputs are plain objects, so a
      // class instance with the same own fields is no hit (resolve refuses
      // it, and takes null-prototype objects). `constructor` rather than
      // Object.getPrototypeOf: measured 5-14 ns less per hit (same two
      // fields, bench/core.bench.mjs). Inherited keys fail the walk's own-key
      // check; tests/validation.test.mjs covers both.
      return input.constructor === Object ? known.scope : undefined;
    }
  }
  return undefined;
}

/** Whether the own enumerable keys of `input` are `names` in order, with `values` (===). */
function matches(input, names, values) {
  let i = 0;
  for (const name in input) {
    if (i >= names.length || name !== names[i] || input[name] !== values[i] || !hasOwn.call(input, name)) return false;
    i++;
  }
  return i === names.length;
}

/**
 * Remembers `scope`, the child of `parent` the core answered as made before
 * (boundary.repeated()), for the input whose own fields are `names` in
 * order, with `values`.
 */
export function remember(parent, names, values, scope) {
  const recent = memoOf(parent).recent;
  if (recent.length >= RECENT_LIMIT) recent.shift();
  recent.push({ names, values, scope });
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

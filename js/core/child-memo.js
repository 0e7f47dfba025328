// The child-scope memo. Its one rule:
//
//   A parent scope remembers the children it made, keyed by the exact input
//   (the own field names in order, and their values compared with ===), at
//   most RECENT_LIMIT object inputs and SESSION_LIMIT session-id strings;
//   a child is remembered only on its second sighting, so a fresh value per
//   call (a request id) never evicts the useful ones; an input holding the
//   id generateRequestId() just made is not sighted at all (it is new by
//   construction: api.js resolveFields); configure() forgets everything (the
//   rules the children were checked under changed).
//
// A remembered child crosses nothing: a sampling loop or withContext('s-1')
// re-enters the same scope object, already stored in C++, for the cost of a
// walk over the input (no key string to build and hash: that alone cost more
// than als.run).
const RECENT_LIMIT = 8;
const SESSION_LIMIT = 64;
const hasOwn = Object.prototype.hasOwnProperty;

let epoch = 1;

/** Forgets every remembered child (configure() changed the rules). */
export function forgetAll() {
  epoch++;
}

function memoOf(parent) {
  const memo = parent.kids;
  if (memo !== undefined && memo.epoch === epoch) return memo;
  return (parent.kids = { epoch, recent: [], missNames: undefined, missValues: undefined, missIndex: -1, missScope: undefined, sessions: undefined, lastSessionScope: undefined });
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

function sameNames(knownNames, names) {
  const n = names.length;
  if (typeof knownNames !== 'object' || knownNames.length !== n) return false;
  for (let i = 0; i < n; i++) if (knownNames[i] !== names[i]) return false;
  return true;
}

function sameFields(knownNames, knownValues, names, values) {
  if (!sameNames(knownNames, names)) return false;
  for (let i = 0; i < values.length; i++) if (knownValues[i] !== values[i]) return false;
  return true;
}

// The last miss is kept in slots of the long-lived memo, and each new value
// stored there costs V8 a write barrier (~6 ns a store, Node 20 and 24, a
// probe of old-object stores): a one-field miss keeps its name (an
// interned string), its field's index (a small integer) and its scope, and
// its value is read back from the scope's own mirror.

/**
 * The child made for the same input by the last miss, now remembered (its
 * second sighting), or undefined. Call before making a child. `names` and
 * `values`: the input's names and values in order.
 */
export function recallMiss(parent, names, values) {
  const memo = parent.kids;
  if (memo === undefined || memo.epoch !== epoch || memo.missScope === undefined) return undefined;
  if (!sameFields(memo.missNames, memo.missValues, names, values)) return undefined;
  return remember(memo, memo.missNames, memo.missValues);
}

/** recallMiss for an input of one field, `name` (of field `index`): `value`. */
export function recallMissOne(parent, name, index, value) {
  const memo = parent.kids;
  if (memo === undefined || memo.epoch !== epoch || memo.missIndex !== index || memo.missNames !== name) return undefined;
  const scope = memo.missScope;
  if (scope === undefined || scope.values[index] !== value) return undefined;
  return remember(memo, [name], [value]);
}

function remember(memo, names, values) {
  const recent = memo.recent;
  if (recent.length >= RECENT_LIMIT) recent.shift();
  const remembered = memo.missScope;
  recent.push({ names, values, scope: remembered });
  memo.missNames = memo.missValues = memo.missScope = undefined;
  memo.missIndex = -1;
  return remembered;
}

/**
 * Notes the child just made for `names`/`values` as the last miss. It lives
 * in slots rather than one object: a fresh request id per call would
 * otherwise allocate an entry every time.
 */
export function noteMiss(parent, names, values, scope) {
  const memo = memoOf(parent);
  // A call site gives the same names each time: the last miss's array is
  // kept then (an equal one, not a new value to store).
  if (!sameNames(memo.missNames, names)) memo.missNames = names;
  memo.missValues = values;
  memo.missIndex = -1;
  memo.missScope = scope;
}

/** noteMiss for an input of one field, `name` (of field `index`). */
export function noteMissOne(parent, name, index, scope) {
  const memo = memoOf(parent);
  memo.missNames = name;
  memo.missValues = undefined;
  memo.missIndex = index;
  memo.missScope = scope;
}

/** The remembered child of `parent` for withContext(sessionId), or undefined. */
export function recallSession(parent, sessionId) {
  const memo = parent.kids;
  if (memo === undefined || memo.epoch !== epoch) return undefined;
  const known = memo.sessions?.get(sessionId);
  if (known !== undefined) return known;
  // The last miss's session id is its scope's own: one slot (see noteMissOne).
  const remembered = memo.lastSessionScope;
  if (remembered === undefined || remembered.sessionId !== sessionId) return undefined;
  const sessions = (memo.sessions ??= new Map());
  if (sessions.size >= SESSION_LIMIT) sessions.clear();
  sessions.set(sessionId, remembered);
  memo.lastSessionScope = undefined;
  return remembered;
}

/** Notes the session child just made as the last session miss. */
export function noteSessionMiss(parent, scope) {
  memoOf(parent).lastSessionScope = scope;
}

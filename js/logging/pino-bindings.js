// Which context fields a pino logger's own bindings (pino's `chindings`:
// base fields and child() bindings, already serialized as `,"k":v...`)
// carry, so that the context does not write those keys a second time.
import { contextIndex } from './scope-fields.js';
import { internals } from '../node/runtime.js';

const NONE = Object.freeze({ omit: [], key: '' });
const CACHE_LIMIT = 256;

// pino keeps the bindings under a private symbol (lib/symbols.js); the
// package does not depend on pino, so it is found once by its description.
let chindingsSym;

function findSymbol(logger) {
  for (let o = logger; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const sym of Object.getOwnPropertySymbols(o)) {
      if (sym.description === 'pino.chindings') return sym;
    }
  }
  return undefined;
}

export function chindingsOf(logger) {
  if (logger === null || typeof logger !== 'object') return '';
  if (chindingsSym === undefined) {
    chindingsSym = findSymbol(logger);
    if (chindingsSym === undefined) return '';
  }
  const chindings = logger[chindingsSym];
  return typeof chindings === 'string' ? chindings : '';
}

/** Context field indexes among the keys of `,"k":v...` text. */
function scan(chindings) {
  let keys;
  try {
    keys = Object.keys(JSON.parse(`{${chindings.slice(1)}}`));
  } catch {
    return NONE; // not pino's format: nothing known to clash with
  }
  const omit = [];
  for (const key of keys) {
    const index = contextIndex(key);
    if (index >= 0) omit.push(index);
  }
  if (omit.length === 0) return NONE;
  omit.sort((a, b) => a - b);
  return Object.freeze({ omit, key: omit.join(',') });
}

// Most processes log through a handful of loggers: the last one is checked
// by identity (the bindings string of a logger is one string object), the
// others through a bounded map. Both are dropped when defineField adds a
// field, since a key that was no field may have become one.
let lastChindings;
let lastConflicts = NONE;
let byChindings = new Map();
let fieldCount = 0;

/** `{ omit, key }`: context fields the bindings already hold (omit = [] when none). */
export function bindingConflicts(chindings) {
  if (internals.fields.length !== fieldCount) {
    fieldCount = internals.fields.length;
    byChindings = new Map();
    lastChindings = undefined;
  }
  if (chindings === lastChindings) return lastConflicts;
  let conflicts = byChindings.get(chindings);
  if (conflicts === undefined) {
    conflicts = chindings === '' ? NONE : scan(chindings);
    if (byChindings.size >= CACHE_LIMIT) byChindings.clear();
    byChindings.set(chindings, conflicts);
  }
  lastChindings = chindings;
  lastConflicts = conflicts;
  return conflicts;
}

export { NONE as NO_CONFLICTS };

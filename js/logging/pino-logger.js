// What a pino logger writes itself, read from the logger a hook is called
// with, so that the context's fields never repeat one of its keys and go
// where pino would put a mixin's keys:
// - the keys the logger writes on every line: the level object (pino's
//   lsCache, shaped by formatters.level), the time text, messageKey,
//   nestedKey, and the bindings (pino's `chindings`: base fields such as
//   pid/hostname and child() bindings, serialized as `,"k":v...`);
// - whether the fields must travel as a mixin object rather than as a
//   pre-serialized fragment: with `nestedKey` (pino puts a mixin's keys under
//   it), with pino's own `redact` naming a context field or `*` (pino redacts
//   the object's keys), with `formatters.log` (it sees the object's keys),
//   and with a stream that reads pino's line metadata (pino.multistream:
//   `lastTime` is the time text, which must stay the time alone).
// The symbols are the ones pino exports as `pino.symbols`, documented "for
// integration purposes with ecosystem and third-party libraries" (pino's
// API documentation, https://github.com/pinojs/pino/blob/main/docs/api.md#pino-symbols):
// the logger's state under them may be adjusted "for
// performant integration". The package does not load pino: the symbols are
// found on the loggers it is handed, by their descriptions (`pino.*`,
// lib/symbols.js; checked in pino 9 and 10: tests/pino.test.mjs compares them
// with the installed pino's `pino.symbols`). Each copy of pino has symbols of
// its own (Symbol(), not Symbol.for()), and a process may hold two copies
// (the app's pino and the one Fastify or a library brings), so they are kept
// per copy; a logger whose copy was not seen yet gets its copy's set found.
// Reading one copy's symbols on another copy's logger wrote the fields twice
// (a bound session_id and the scope's) on every line of the second copy.
import { contextIndex } from './scope-fields.js';
import { internals } from '../node/runtime.js';

const NEEDS_METADATA = Symbol.for('pino.metadata');
const FORMATTERS = Symbol.for('pino.formatters');
const CACHE_LIMIT = 256;
const MAX_COPIES = 8;
const hasOwn = Object.prototype.hasOwnProperty;

const NAMES = ['chindings', 'stringifiers', 'messageKey', 'nestedKey', 'stream', 'lsCache', 'time', 'mixin', 'mixinMergeStrategy'];
const HOOKS = Symbol.for('pino.hooks');
// description -> symbol, one set per copy of pino seen; `symbols` is the set
// of the last logger seen (a process logs through one copy almost always).
const copies = [];
let symbols;
// Objects seen that are no pino logger, so they are not searched again.
const notLoggers = new WeakSet();

function findSymbols(logger) {
  const found = {};
  for (let o = logger; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const sym of Object.getOwnPropertySymbols(o)) {
      const name = sym.description?.startsWith('pino.') ? sym.description.slice(5) : undefined;
      if (name !== undefined && NAMES.includes(name) && found[name] === undefined) found[name] = sym;
    }
  }
  return found.chindings === undefined ? undefined : found;
}

/** Whether `logger` is a pino logger; if so, `symbols` is its copy's set afterwards. */
function isLogger(logger) {
  if (logger === null || typeof logger !== 'object') return false;
  // pino puts the bindings on every logger, child loggers included.
  if (symbols !== undefined && symbols.chindings in logger) return true;
  return switchCopy(logger);
}

function switchCopy(logger) {
  for (const set of copies) {
    if (set.chindings in logger) {
      symbols = set;
      return true;
    }
  }
  if (notLoggers.has(logger)) return false;
  const found = findSymbols(logger);
  if (found === undefined) {
    notLoggers.add(logger);
    return false;
  }
  // Copies of pino in a process are few; a bound keeps objects that merely
  // look like loggers from growing the list.
  if (copies.length < MAX_COPIES) copies.push(found);
  symbols = found;
  return true;
}

/** pino's serialized bindings of `logger` ('' when it is not a pino logger). */
export function chindingsOf(logger) {
  if (!isLogger(logger)) return '';
  const chindings = logger[symbols.chindings];
  return typeof chindings === 'string' ? chindings : '';
}

// One pattern for "any context field's name, quoted, or an escape", for
// keysOfText's first look; made by profileOf whenever the fields change (as
// it forgets its profiles then). One regular expression over a child
// logger's 324-character bindings measured 0.19 us, where an includes() per
// name took 1.33 us and JSON.parse 1.86 us (Node 20).
let namesPattern;
function fieldNamesPattern(fields) {
  const names = fields.map((field) => field.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`"(?:${names.join('|')})"|\\\\u`, 'g');
}

/**
 * Whether `text` may hold a context field's name as a key: its quoted name
 * somewhere in it, or an escape (a key spelled with \u escapes). Only then is
 * the text parsed: most texts name no field (a level label, pid and
 * hostname, a child logger's serialized request), and parsing every new
 * logger's texts cost a pino-http request (a child logger per request)
 * ~7 us (bench/logging.bench.mjs, a child logger per request: 4.05-4.22x of
 * the same without context, Node 20).
 */
function mayNameAField(text, from = 0) {
  namesPattern.lastIndex = from;
  return namesPattern.test(text);
}

/** Keys of a `,"k":v...` or `{"k":v...` JSON text (none when it is not JSON), where one of them may be a context field's name. */
function keysOfText(text, into) {
  if (typeof text !== 'string' || text === '' || !mayNameAField(text)) return;
  const body = text[0] === '{' ? text.slice(1) : text[0] === ',' ? text.slice(1) : undefined;
  if (body === undefined || body === '') return;
  try {
    for (const key of Object.keys(JSON.parse(`{${body}}`))) into.add(key);
  } catch {
    // not pino's format: nothing known to clash with
  }
}

function redactsContext(stringifiers) {
  if (stringifiers === null || typeof stringifiers !== 'object') return false;
  for (const sym of Object.getOwnPropertySymbols(stringifiers)) {
    if (sym.description === 'pino.wildcardFirst') return true;
  }
  for (const key in stringifiers) if (contextIndex(key) >= 0) return true;
  return false;
}

/** pinoOptions() timestamp functions: a logger using one already gets the fields from it. */
export const CONTEXT_TIMESTAMPS = new WeakSet();

const NONE = Object.freeze({ omit: Object.freeze([]), key: '', objectMode: false, shareable: true, timeCarries: false });
const NOT_PINO = Object.freeze({ omit: Object.freeze([]), key: '', objectMode: false, shareable: false, timeCarries: false });

/**
 * The profile of `logger`: { omit (sorted field indexes), key (names omit),
 * objectMode, shareable }. `shareable`: nothing on the logger's path writes
 * into a mixin's result when the log call passes no object of its own
 * (pino's default merge strategy copies that object's keys, and there are
 * none; no formatters.log; no stream handed pino's lastObj), so pinoMixin may
 * return one object per scope instead of a copy per line.
 */
function computeProfile(logger, chindings) {
  if (!isLogger(logger)) return NOT_PINO;
  const keys = new Set();
  keysOfText(chindings, keys);
  const lsCache = logger[symbols.lsCache];
  if (lsCache !== null && typeof lsCache === 'object') for (const label in lsCache) keysOfText(lsCache[label], keys);
  const time = logger[symbols.time];
  if (typeof time === 'function') {
    try {
      keysOfText(time.call(undefined), keys); // as pino calls it once at construction
    } catch {
      // a time function that needs its logger: its keys are unknown
    }
  }
  const messageKey = logger[symbols.messageKey];
  if (typeof messageKey === 'string') keys.add(messageKey);
  const nestedKey = logger[symbols.nestedKey];
  if (typeof nestedKey === 'string') keys.add(nestedKey);
  const omit = [];
  for (const key of keys) {
    const index = contextIndex(key);
    if (index >= 0) omit.push(index);
  }
  omit.sort((a, b) => a - b);
  const stream = logger[symbols.stream];
  const metadata = stream !== null && typeof stream === 'object' && stream[NEEDS_METADATA] === true;
  const logFormatter = typeof logger[FORMATTERS]?.log === 'function';
  const objectMode = typeof nestedKey === 'string' || metadata || redactsContext(logger[symbols.stringifiers]) || logFormatter;
  const defaultMerge = symbols.mixinMergeStrategy !== undefined && logger[symbols.mixinMergeStrategy] == null;
  const shareable = defaultMerge && !metadata && !logFormatter;
  const timeCarries = typeof time === 'function' && CONTEXT_TIMESTAMPS.has(time);
  if (omit.length === 0 && !objectMode && shareable && !timeCarries) return NONE;
  return Object.freeze({ omit: Object.freeze(omit), key: omit.join(','), objectMode, shareable, timeCarries });
}

// What a child logger inherits from its parent unless child() was given options for it.
const INHERITED = ['stringifiers', 'messageKey', 'nestedKey', 'stream', 'lsCache', 'time', 'mixinMergeStrategy'];

/**
 * The profile of `logger` when it is a child logger that only added
 * bindings to a parent whose profile is known: the parent's, when the
 * bindings it added name no context field; else undefined (computeProfile
 * then reads it whole). pino makes a child as Object.create(parent), with
 * its own bindings text (the parent's, then its own), level and formatters
 * (the parent's functions); anything else the profile reads it inherits
 * unless child() was given options for it (formatters, redact, custom
 * levels...), which makes it an own property.
 * pino-http makes a child logger per request: reading each whole (its level
 * labels by for-in over numeric keys, its time text, its bindings parsed)
 * cost a request ~2-7 us (bench/logging.bench.mjs, a child logger per
 * request).
 */
function inheritedProfile(logger, chindings) {
  const parent = Object.getPrototypeOf(logger);
  if (parent === null || typeof parent !== 'object' || !isLogger(parent)) return undefined;
  for (const name of INHERITED) if (hasOwn.call(logger, symbols[name])) return undefined;
  // pino gives every child formatters of its own, made from the parent's:
  // the same level and log functions unless child() was given others.
  if (hasOwn.call(logger, FORMATTERS)) {
    const own = logger[FORMATTERS];
    const inherited = parent[FORMATTERS];
    if (own?.log !== inherited?.log || own?.level !== inherited?.level) return undefined;
  }
  const parentChindings = chindingsOf(parent);
  if (chindings.length < parentChindings.length || !chindings.startsWith(parentChindings)) return undefined;
  if (mayNameAField(chindings, parentChindings.length)) return undefined;
  return profileOf(parent, false);
}
// Most processes log through a handful of loggers and a request through one:
// the last (logger, bindings) pair is checked by identity (a logger's
// bindings string is one string object until setBindings), others through a
// bounded WeakMap. Everything is dropped when defineField adds a field, since
// a key that was no field may have become one.
let lastLogger;
let lastChindings;
let lastProfile = NONE;
let byLogger = new WeakMap();
let cacheSize = 0;
let fieldCount = 0;

/** What `logger` writes itself and how the fields must travel on its lines. */
export function profileOf(logger, asLast = true) {
  const chindings = chindingsOf(logger);
  if (internals.fields.length !== fieldCount) {
    fieldCount = internals.fields.length;
    namesPattern = fieldNamesPattern(internals.fields);
    byLogger = new WeakMap();
    cacheSize = 0;
    lastLogger = undefined;
  } else if (logger === lastLogger && chindings === lastChindings) {
    return lastProfile;
  }
  let profile;
  const known = logger !== null && typeof logger === 'object' ? byLogger.get(logger) : undefined;
  if (known !== undefined && known.chindings === chindings) {
    profile = known.profile;
  } else {
    // A child that only added bindings naming no field: its parent's,
    // derived again when asked, not kept per child (one WeakMap entry per
    // request is garbage-collector work; see js/http/request-state.js).
    profile = isLogger(logger) ? inheritedProfile(logger, chindings) : undefined;
    if (profile === undefined) {
      profile = computeProfile(logger, chindings);
      if (logger !== null && typeof logger === 'object') {
        if (cacheSize >= CACHE_LIMIT) {
          byLogger = new WeakMap();
          cacheSize = 0;
        }
        byLogger.set(logger, { chindings, profile });
        cacheSize++;
      }
    }
  }
  // A parent asked for by inheritedProfile does not displace the last logger.
  if (asLast) {
    lastLogger = logger;
    lastChindings = chindings;
    lastProfile = profile;
  }
  return profile;
}

/** The chindings symbol (`pino.symbols.chindingsSym`) of `logger`'s copy of pino; undefined when it is no pino logger. */
export function chindingsSymbol(logger) {
  return isLogger(logger) ? symbols.chindings : undefined;
}

/** The mixin and streamWrite hook `logger` calls (undefined when unknown). */
export function hooksOf(logger) {
  if (!isLogger(logger)) return undefined;
  return { mixin: symbols.mixin === undefined ? undefined : logger[symbols.mixin], streamWrite: logger[HOOKS]?.streamWrite };
}

export { NONE as NO_PROFILE, hasOwn };

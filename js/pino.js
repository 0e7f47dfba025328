// mellea-context/pino: the context's fields on every pino line.
//
// pinoOptions() (fast): pino calls the `timestamp` function first on every
// line and splices its string raw right after the level, so returning
// `,"time":<now>` + the scope's fragment (serialized once per scope by the
// C++ core, cached on the scope) costs one string concatenation per line.
// The fields the line itself carries must win without a duplicate key:
// logger keys (bindings, level/time/message keys: logging/pino-logger.js)
// are known inside `timestamp` (this = the logger) and left out of the
// fragment there; the log call's own object is only seen later, by the
// mixin, which in that rare case asks hooks.streamWrite to swap the
// fragment, which sits right after the time, for the reduced one.
// Order checked in pino 9 and 10 lib/proto.js write(): time(), mixin(),
// asJson(), streamWrite(). Where the fields must be real keys (nestedKey,
// pino's redact, formatters.log, metadata streams, a timestamp replaced
// after the spread) the mixin returns them as an object instead.
//
// pinoMixin: the same fragment spliced into pino's bindings text for the
// line (logging/pino-chindings.js), or the same object path.
import { internals } from './node/runtime.js';
import { checkOptions, invalidOption } from './logging/options.js';
import { parseRedaction } from './logging/redact.js';
import { contextIndex, fieldsOf, fragmentOf, reducedFragmentOf, EMPTY } from './logging/scope-fields.js';
import { CONTEXT_TIMESTAMPS, NO_PROFILE, chindingsSymbol, hooksOf, profileOf } from './logging/pino-logger.js';
import { armSplice, disarmSplice, installSplice } from './logging/pino-chindings.js';
import * as diagnostics from './diagnostics.js';

const { carrier, registry, fields } = internals;
const hasOwn = Object.prototype.hasOwnProperty;

function epochTime() {
  return `,"time":${Date.now()}`;
}

function nullTime() {
  return '';
}

/** Own keys of `obj` naming context fields, as indexes; undefined when none. */
function explicitFields(obj, into) {
  let found = into;
  for (const key in obj) {
    if (!hasOwn.call(obj, key) || obj[key] === undefined) continue;
    const index = contextIndex(key);
    if (index >= 0) (found ??= []).push(index);
  }
  return found;
}

function mergeOmit(a, b) {
  const omit = [...new Set([...a, ...b])].sort((x, y) => x - y);
  return { omit, key: omit.join(',') };
}

const PINO_OPTIONS = ['redact', 'timestamp', 'mixin', 'mixinMergeStrategy', 'hooks'];

/** A fresh copy of the scope's fields without the indexes in `omit` (pino's merge mutates it). */
function fieldsCopy(scope, redaction, profile) {
  const copy = { ...fieldsOf(scope, redaction) };
  for (const index of profile.omit) delete copy[fields[index].name];
  return copy;
}

/**
 * Options to spread into pino's: `pino({ ...pinoOptions(), level }, dest)`.
 * Pass your own `timestamp`, `mixin`, `mixinMergeStrategy` or `hooks`
 * through here rather than after the spread: they are composed with ours.
 * A `timestamp` given after the spread anyway is detected (our timestamp
 * then does not run before our mixin) and the fields travel through the
 * mixin instead: slower, never lost.
 */
export function pinoOptions(options) {
  const who = 'pinoOptions';
  const opts = checkOptions(who, options, PINO_OPTIONS);
  const redaction = parseRedaction(who, opts.redact, registry);
  let userTime = epochTime;
  if (opts.timestamp !== undefined && opts.timestamp !== true) {
    if (opts.timestamp === false) userTime = nullTime;
    else if (typeof opts.timestamp === 'function') userTime = opts.timestamp;
    else throw invalidOption(who, 'timestamp must be a boolean or a function');
  }
  const userMixin = opts.mixin;
  if (userMixin !== undefined && typeof userMixin !== 'function') throw invalidOption(who, 'mixin must be a function');
  const userMerge = opts.mixinMergeStrategy;
  if (userMerge !== undefined && typeof userMerge !== 'function') throw invalidOption(who, 'mixinMergeStrategy must be a function');
  const userHooks = opts.hooks;
  if (userHooks !== undefined && (userHooks === null || typeof userHooks !== 'object')) throw invalidOption(who, 'hooks must be an object');
  const userStreamWrite = userHooks?.streamWrite;
  if (userStreamWrite !== undefined && typeof userStreamWrite !== 'function') throw invalidOption(who, 'hooks.streamWrite must be a function');

  // State of the line being written, from timestamp() to streamWrite(): pino
  // writes a line synchronously, and timestamp() starts every line.
  // `lineLogger` is the logger timestamp() ran for: the mixin of a line whose
  // timestamp was not ours (overridden after the spread) sees it unset.
  let lineLogger;
  let lineScope;
  let lineBase = '';
  let lineFragment = '';
  let lineProfile = NO_PROFILE;
  let pendingFrom;
  let pendingTo;

  // Last (scope, logger profile) seen and the fragment they gave: a request
  // logs many lines in one scope through one logger, so most lines stop here.
  let lastScope;
  let lastProfile;
  let lastFragment = '';

  function fragmentFor(scope, profile) {
    let fragment;
    try {
      fragment = profile.key === '' ? fragmentOf(scope, redaction) : reducedFragmentOf(scope, redaction, profile.omit, profile.key);
    } catch {
      fragment = ''; // never fail a log call over the context
    }
    lastScope = scope;
    lastProfile = profile;
    lastFragment = fragment;
    return fragment;
  }

  // A `mixin` or `hooks` given after the spread replaces ours: the fields
  // still come (through timestamp), but a key the log call passes itself
  // could then be written twice. Said once per pinoOptions() result, with a code.
  let checkedLogger;
  function checkHooks(logger) {
    checkedLogger = logger;
    const hooks = hooksOf(logger);
    if (hooks === undefined || (hooks.mixin === mixin && hooks.streamWrite === streamWrite)) return;
    if (warned) return;
    warned = true;
    process.emitWarning(
      'pinoOptions(): pino was given its own mixin or hooks after ...pinoOptions(), replacing ours; pass them through pinoOptions({ mixin, hooks }) so a key the log call passes itself is never written twice',
      { code: 'MELLEA_PINO_OVERRIDDEN' },
    );
  }
  let warned = false;

  // The time text changes once per millisecond: lines logged in the same
  // millisecond and scope reuse one concatenated string (measured: the
  // concatenation was most of what pinoOptions added to a line).
  let cachedNow = -1;
  let cachedBase = '';
  let cachedFragment = '';
  let cachedTime = '';
  let cachedTimeBase = '';

  const defaultTime = userTime === epochTime;
  let fastLogger;
  let fastSym;
  let fastChindings;
  let fastFieldCount = -1;

  function timestamp() {
    // pino also calls this once without a logger, at construction (and the
    // logger profile calls it so, to learn the time keys): no line then, and
    // the per-line caches below must not move.
    if (this === undefined) return userTime.call(undefined);
    pendingFrom = undefined;
    const scope = carrier.getStore();
    // The usual line: same logger (same bindings), same scope, same
    // millisecond as the last one: everything is known (measured: the
    // profile lookups were a third of what this hook cost per line).
    if (defaultTime && scope !== undefined && scope === lastScope && this === fastLogger && this[fastSym] === fastChindings && fields.length === fastFieldCount) {
      const now = Date.now();
      if (now === cachedNow && cachedFragment === lastFragment && cachedTimeBase === cachedBase) {
        lineLogger = this;
        lineScope = scope;
        lineBase = cachedBase;
        lineFragment = lastFragment;
        lineProfile = lastProfile;
        return cachedTime;
      }
    }
    let base;
    if (defaultTime) {
      const now = Date.now();
      if (now !== cachedNow) {
        cachedNow = now;
        cachedBase = `,"time":${now}`;
        cachedFragment = undefined;
      }
      base = cachedBase;
    } else {
      base = userTime.call(this);
    }
    if (this !== checkedLogger) checkHooks(this);
    lineLogger = this;
    lineFragment = '';
    if (scope === undefined) {
      if (diagnostics.enabled) diagnostics.noScopeLine();
      return base;
    }
    const profile = profileOf(this);
    lineProfile = profile;
    if (profile.objectMode) return base; // the mixin carries the fields
    fastLogger = this;
    fastSym = chindingsSymbol(this);
    fastChindings = fastSym === undefined ? undefined : this[fastSym];
    fastFieldCount = fields.length;
    let fragment;
    if (scope === lastScope && profile === lastProfile) {
      fragment = lastFragment;
    } else {
      fragment = fragmentFor(scope, profile);
      // A new scope: rebuild the time text below without comparing the two
      // fragments' contents (they share a long prefix; identity is enough).
      cachedFragment = undefined;
    }
    lineScope = scope;
    lineBase = base;
    lineFragment = fragment;
    if (!defaultTime) return base + fragment;
    if (fragment !== cachedFragment || base !== cachedTimeBase) {
      cachedFragment = fragment;
      cachedTimeBase = base;
      cachedTime = base + fragment;
    }
    return cachedTime;
  }

  /** The mixin object of a line whose fields travel as keys (see pino-logger.js). */
  function objectLine(obj, logger, extra) {
    const scope = carrier.getStore();
    if (scope === undefined) return extra;
    let copy;
    try {
      copy = fieldsCopy(scope, redaction, profileOf(logger));
    } catch {
      return extra;
    }
    if (extra !== EMPTY && extra !== null && typeof extra === 'object') Object.assign(copy, extra);
    return copy;
  }

  function mixin(obj, level, logger) {
    const extra = userMixin === undefined ? EMPTY : userMixin(obj, level, logger);
    if (lineLogger !== logger || lineProfile.objectMode) {
      lineLogger = undefined;
      return objectLine(obj, logger, extra);
    }
    lineLogger = undefined;
    if (lineFragment === '') return extra;
    try {
      let found = explicitFields(obj);
      if (extra !== EMPTY && extra !== null && typeof extra === 'object') found = explicitFields(extra, found);
      if (found !== undefined) {
        const omit = mergeOmit(found, lineProfile.omit);
        const reduced = reducedFragmentOf(lineScope, redaction, omit.omit, omit.key);
        if (reduced !== lineFragment) {
          pendingFrom = lineBase + lineFragment;
          pendingTo = lineBase + reduced;
        }
      }
    } catch {
      // keep the line as it is
    }
    return extra;
  }

  function mixinMergeStrategy(obj, extra) {
    if (extra === EMPTY) return obj;
    if (userMerge !== undefined) return userMerge(obj, extra);
    return Object.assign(extra, obj); // pino's default
  }

  function streamWrite(line) {
    if (pendingFrom !== undefined) {
      const at = line.indexOf(pendingFrom);
      if (at !== -1) line = line.slice(0, at) + pendingTo + line.slice(at + pendingFrom.length);
      pendingFrom = undefined;
    }
    return userStreamWrite === undefined ? line : userStreamWrite(line);
  }

  CONTEXT_TIMESTAMPS.add(timestamp);
  return {
    timestamp,
    mixin,
    mixinMergeStrategy,
    hooks: { ...userHooks, streamWrite },
  };
}

const MIXIN_OPTIONS = ['redact'];

function hasNoKeys(obj) {
  // eslint-disable-next-line no-unreachable-loop
  for (const key in obj) return key === undefined;
  return true;
}

// What pinoMixin returns when the fields travel in the bindings text: pino
// merges the call's object into it (Object.assign(result, obj)); for a call
// without one nothing is written, so one frozen empty object serves.
const NOTHING = Object.freeze({});

/**
 * A pino mixin adding the context's fields; `createPinoMixin({ redact })`.
 * Fast path (pino-chindings.js): the scope's fragment spliced into pino's
 * bindings text for the line. Object path (nestedKey, pino's own redact over
 * a context key, formatters.log, a stream reading pino's metadata, or a
 * logger that cannot take the splice): the fields as the mixin's keys.
 */
export function createPinoMixin(options) {
  const opts = checkOptions('createPinoMixin', options, MIXIN_OPTIONS);
  const redaction = parseRedaction('createPinoMixin', opts.redact, registry);
  const key = `log:p${redaction.key}`;
  // The object copied per line on the object path: a private, unfrozen one
  // (spreading a frozen object measured 6x slower), one per scope and per
  // set of keys the logger writes itself.
  function templateOf(scope, conflicts) {
    const memo = scope.memo ?? (scope.memo = {});
    const memoKey = `${key}-${conflicts.key}`;
    let template = memo[memoKey];
    if (template === undefined) {
      template = { ...fieldsOf(scope, redaction) };
      for (const index of conflicts.omit) delete template[fields[index].name];
      memo[memoKey] = template;
    }
    return template;
  }

  function objectPath(obj, scope, profile) {
    const template = templateOf(scope, profile);
    // pino's merge writes the call's own fields into what this returns, so
    // they win; a call without any may share the scope's object when nothing
    // on the logger's path writes into it (profile.shareable).
    if (profile.shareable && hasNoKeys(obj)) return template;
    return { ...template };
  }

  // Last (logger, scope, profile) seen and the fragment they gave.
  let spliceLogger;
  let lastScope;
  let lastProfile;
  let lastFragment = '';

  return function pinoMixin(obj, level, logger) {
    disarmSplice();
    const scope = carrier.getStore();
    if (scope === undefined) {
      if (diagnostics.enabled) diagnostics.noScopeLine();
      return {};
    }
    try {
      const profile = profileOf(logger);
      // pino({ ...pinoOptions(), mixin: pinoMixin }): pinoOptions' timestamp
      // writes the fields already (and warns that its mixin was replaced).
      if (profile.timeCarries && !profile.objectMode) return {};
      if (profile.objectMode) return objectPath(obj, scope, profile);
      if (logger !== spliceLogger) {
        if (!installSplice(logger, chindingsSymbol(logger))) return objectPath(obj, scope, profile);
        spliceLogger = logger;
      }
      const bare = hasNoKeys(obj);
      let fragment;
      if (bare && scope === lastScope && profile === lastProfile) {
        fragment = lastFragment;
      } else {
        const found = bare ? undefined : explicitFields(obj);
        if (found === undefined) {
          fragment = profile.key === '' ? fragmentOf(scope, redaction) : reducedFragmentOf(scope, redaction, profile.omit, profile.key);
          lastScope = scope;
          lastProfile = profile;
          lastFragment = fragment;
        } else {
          const omit = mergeOmit(found, profile.omit);
          fragment = reducedFragmentOf(scope, redaction, omit.omit, omit.key);
        }
      }
      if (fragment !== '') armSplice(logger, scope, fragment);
      return bare && profile.shareable ? NOTHING : {};
    } catch {
      disarmSplice();
      return {};
    }
  };
}

export const pinoMixin = createPinoMixin();


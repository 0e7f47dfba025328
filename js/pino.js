// mellea-context/pino: the context's fields on every pino line.
//
// pinoOptions() (fast): pino calls the `timestamp` function first on every
// line and splices its string raw right after the level, so returning
// `,"time":<now>` + the scope's fragment (serialized once per scope by the
// C++ core, cached on the scope) costs one string concatenation per line.
// The fields the line itself carries must win without a duplicate key:
// logger bindings (child()) are known inside `timestamp` (this = the logger)
// and left out of the fragment there; the log call's own object is only seen
// later, by the mixin, which in that rare case asks hooks.streamWrite to swap
// the fragment, which sits right after the time, for the reduced one.
// Order checked in pino 9 and 10 lib/proto.js write(): time(), mixin(),
// asJson(), streamWrite().
//
// pinoMixin (plain): a fresh copy of the scope's cached fields object per
// line, since pino's default merge strategy mutates what the mixin returns.
import { internals } from './node/runtime.js';
import { checkOptions, invalidOption } from './logging/options.js';
import { parseRedaction } from './logging/redact.js';
import { contextIndex, fieldsOf, fragmentOf, reducedFragmentOf, EMPTY } from './logging/scope-fields.js';
import { bindingConflicts, chindingsOf } from './logging/pino-bindings.js';
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

/**
 * Options to spread into pino's: `pino({ ...pinoOptions(), level }, dest)`.
 * Pass your own `timestamp`, `mixin`, `mixinMergeStrategy` or `hooks`
 * through here rather than after the spread: they are composed with ours.
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
  let lineScope;
  let lineBase = '';
  let lineFragment = '';
  let lineBindings;
  let pendingFrom;
  let pendingTo;

  // Last (scope, logger bindings) seen and the fragment they gave: a request
  // logs many lines in one scope through one logger, so most lines stop here.
  let lastScope;
  let lastChindings;
  let lastFieldCount = -1;
  let lastFragment = '';
  let lastBindings;

  function fragmentFor(scope, chindings) {
    let fragment;
    let bindings;
    try {
      fragment = fragmentOf(scope, redaction);
      bindings = bindingConflicts(chindings);
      if (bindings.key !== '' && fragment !== '') {
        fragment = reducedFragmentOf(scope, redaction, bindings.omit, bindings.key);
      }
    } catch {
      fragment = ''; // never fail a log call over the context
      bindings = undefined;
    }
    lastScope = scope;
    lastChindings = chindings;
    lastFieldCount = fields.length;
    lastFragment = fragment;
    lastBindings = bindings;
    return fragment;
  }

  // The time text changes once per millisecond: lines logged in the same
  // millisecond and scope reuse one concatenated string (measured: the
  // concatenation was most of what pinoOptions added to a line).
  let cachedNow = -1;
  let cachedBase = '';
  let cachedFragment = '';
  let cachedTime = '';

  function timestamp() {
    pendingFrom = undefined;
    const defaultTime = userTime === epochTime;
    let now = 0;
    let base;
    if (defaultTime) {
      now = Date.now();
      if (now !== cachedNow) {
        cachedNow = now;
        cachedBase = `,"time":${now}`;
        cachedFragment = undefined;
      }
      base = cachedBase;
    } else {
      // `this` is the logger; pino also calls this once without one, at construction.
      base = userTime.call(this);
    }
    const scope = carrier.getStore();
    if (scope === undefined) {
      if (diagnostics.enabled) diagnostics.noScopeLine();
      lineFragment = '';
      return base;
    }
    const chindings = this === undefined ? '' : chindingsOf(this);
    let fragment;
    if (scope === lastScope && chindings === lastChindings && fields.length === lastFieldCount) {
      fragment = lastFragment;
    } else {
      fragment = fragmentFor(scope, chindings);
      // A new scope: rebuild the time text below without comparing the two
      // fragments' contents (they share a long prefix; identity is enough).
      cachedFragment = undefined;
    }
    lineScope = scope;
    lineBase = base;
    lineFragment = fragment;
    lineBindings = lastBindings;
    if (!defaultTime) return base + fragment;
    if (fragment !== cachedFragment) {
      cachedFragment = fragment;
      cachedTime = base + fragment;
    }
    return cachedTime;
  }

  function mixin(obj, level, logger) {
    const extra = userMixin === undefined ? EMPTY : userMixin(obj, level, logger);
    if (lineFragment === '') return extra;
    try {
      let found = explicitFields(obj);
      if (extra !== EMPTY && extra !== null && typeof extra === 'object') found = explicitFields(extra, found);
      if (found !== undefined) {
        const omit = mergeOmit(found, lineBindings?.omit ?? []);
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

  return {
    timestamp,
    mixin,
    mixinMergeStrategy,
    hooks: { ...userHooks, streamWrite },
  };
}

const MIXIN_OPTIONS = ['redact'];

/** A pino mixin adding the context's fields; `createPinoMixin({ redact })`. */
export function createPinoMixin(options) {
  const opts = checkOptions('createPinoMixin', options, MIXIN_OPTIONS);
  const redaction = parseRedaction('createPinoMixin', opts.redact, registry);
  const key = `log:p${redaction.key}`;
  const plainKey = `${key}-`; // made once: a key built per call would be hashed per call
  // The object copied per line: a private, unfrozen one (spreading a frozen
  // object measured 6x slower), one per scope and per set of logger bindings.
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
  return function pinoMixin(obj, level, logger) {
    const scope = carrier.getStore();
    if (scope === undefined) {
      if (diagnostics.enabled) diagnostics.noScopeLine();
      return {};
    }
    try {
      const conflicts = bindingConflicts(chindingsOf(logger));
      const memo = scope.memo;
      let template = memo !== undefined && conflicts.key === '' ? memo[plainKey] : undefined;
      if (template === undefined) template = templateOf(scope, conflicts);
      // A fresh object: pino's default merge (Object.assign(mixinResult,
      // obj)) writes the call's own fields into it, and so they win.
      return { ...template };
    } catch {
      return {};
    }
  };
}

export const pinoMixin = createPinoMixin();


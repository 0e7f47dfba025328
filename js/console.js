// mellea-context/console: console.log/info/warn/error/debug lines that carry
// the context, as JSON (built by the C++ core: formatRecord) or as text; and
// formatRecord itself, the JSON line builder.
import { formatWithOptions } from 'node:util';
import { internals } from './node/runtime.js';
import { describeType } from './core/errors.js';
import { checkOptions, invalidOption } from './logging/options.js';
import { NO_REDACTION, parseRedaction } from './logging/redact.js';
import { exceptionText, formatWith, lineOf, safeText } from './logging/record.js';
import { EMPTY, fieldsOf } from './logging/scope-fields.js';
import { textValue } from './logging/text.js';
import * as diagnostics from './diagnostics.js';

const { carrier, registry } = internals;

// Python's level names, as mellea's JsonFormatter writes them.
const LEVELS = Object.freeze({ log: 'INFO', info: 'INFO', warn: 'WARNING', error: 'ERROR', debug: 'DEBUG' });
const METHODS = Object.keys(LEVELS);
// Keys every line writes itself: a context field of that name (should one be
// defined) is left out rather than written twice.
const LINE_KEYS = new Set(['timestamp', 'level', 'message', 'exception']);

/**
 * Whether `target[method] = value` would take: an own writable data
 * property, an inherited writable one on an extensible object, or a setter.
 */
function assignable(target, method) {
  for (let o = target; o !== null; o = Object.getPrototypeOf(o)) {
    const desc = Object.getOwnPropertyDescriptor(o, method);
    if (desc === undefined) continue;
    if ('value' in desc) return desc.writable === true && (o === target || Object.isExtensible(target));
    return typeof desc.set === 'function';
  }
  return Object.isExtensible(target);
}

/**
 * One JSON line (no newline) for `record` = `{ message, level?, timestamp?,
 * error? | exception?, ...fields }`, with the current context's fields.
 */
export function formatRecord(record) {
  return formatWith(NO_REDACTION, record);
}

/** formatRecord with options: `createRecordFormatter({ redact })`. */
export function createRecordFormatter(options) {
  const opts = checkOptions('createRecordFormatter', options, ['redact']);
  const redaction = parseRedaction('createRecordFormatter', opts.redact, registry);
  return (record) => formatWith(redaction, record);
}

/** util.format of the arguments, an Error shown as `Name: message` (its stack goes to `exception`). */
function messageOf(args) {
  let exception = '';
  let formatArgs = args;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!(arg instanceof Error)) continue;
    if (exception === '') exception = exceptionText(arg);
    if (formatArgs === args) formatArgs = args.slice();
    formatArgs[i] = safeText(arg);
  }
  let message;
  try {
    message = formatWithOptions({ colors: false }, ...formatArgs);
  } catch {
    message = formatArgs.map(safeText).join(' ');
  }
  return { message, exception };
}

function textFieldsOf(scope, redaction, memoKey) {
  const memo = scope.memo ?? (scope.memo = {});
  const cached = memo[memoKey];
  if (cached !== undefined) return cached;
  const fields = fieldsOf(scope, redaction);
  let text = '';
  if (fields !== EMPTY) {
    for (const key in fields) if (!LINE_KEYS.has(key)) text += ` ${key}=${textValue(fields[key])}`;
  }
  return (memo[memoKey] = text);
}

/**
 * Wraps console.log/info/warn/error/debug so every line carries the current
 * fields. Options: `format` ('json' default, or 'text'), `stream` (anything
 * with write(string); default: the wrapped method itself, so lines go where
 * they went before), `redact`, `console` (the object to wrap, default the
 * global console). Returns uninstall(), which puts the original functions back.
 */
export function installConsole(options) {
  const who = 'installConsole';
  const opts = checkOptions(who, options, ['format', 'stream', 'redact', 'console']);
  const format = opts.format ?? 'json';
  if (format !== 'json' && format !== 'text') throw invalidOption(who, `format must be 'json' or 'text', got ${typeof format === 'string' ? JSON.stringify(format) : describeType(format)}`);
  const stream = opts.stream;
  if (stream !== undefined && (stream === null || typeof stream.write !== 'function')) {
    throw invalidOption(who, `stream must have a write(string) method, got ${describeType(stream)}`);
  }
  const target = opts.console === undefined ? globalThis.console : opts.console;
  if (target === null || typeof target !== 'object') throw invalidOption(who, `console must be an object, got ${describeType(target)}`);
  // Everything is checked before anything is wrapped: a console that cannot
  // take every wrapper is refused whole, never left half-wrapped.
  let methods;
  let fixed;
  try {
    methods = METHODS.filter((method) => typeof target[method] === 'function');
    fixed = methods.filter((method) => !assignable(target, method));
  } catch (error) {
    throw invalidOption(who, `console could not be inspected (${safeText(error?.message ?? error)}): nothing was wrapped`);
  }
  if (methods.length === 0) throw invalidOption(who, `console has none of ${METHODS.join(', ')} as functions`);
  if (fixed.length > 0) {
    throw invalidOption(who, `console.${fixed.join(', console.')} cannot be replaced (read-only, getter without setter, or frozen console): nothing was wrapped`);
  }
  const redaction = parseRedaction(who, opts.redact, registry);
  const textKey = `log:t${redaction.key}`;

  function lineFor(level, args) {
    if (diagnostics.enabled && carrier.getStore() === undefined) diagnostics.noScopeLine();
    const { message, exception } = messageOf(args);
    const timestamp = new Date().toISOString();
    if (format === 'json') return lineOf(redaction, timestamp, level, message, exception, '');
    const scope = carrier.getStore();
    // logfmt, the message quoted whenever it holds a space, `=`, a quote or
    // a backslash, so a parser reads exactly the fields below, whatever the
    // message says (`hello session_id=admin` stays inside message="...").
    let line = `timestamp=${timestamp} level=${level} message=${textValue(message)}`;
    if (scope !== undefined) line += textFieldsOf(scope, redaction, textKey);
    if (exception !== '') line += ` exception=${textValue(exception)}`;
    return line;
  }

  const originals = new Map();
  const state = { active: true };
  let busy = false; // a stream that logs to console must not loop

  for (const method of methods) {
    const original = target[method];
    const level = LEVELS[method];
    const wrapper = function (...args) {
      if (!state.active || busy) return Reflect.apply(original, this, args);
      busy = true;
      try {
        let line;
        try {
          line = lineFor(level, args);
        } catch {
          return Reflect.apply(original, this, args); // never lose the message
        }
        try {
          if (stream !== undefined) stream.write(`${line}\n`);
          else Reflect.apply(original, this, [line]);
        } catch {
          // a failing sink must not throw into the caller's code
        }
        return undefined;
      } finally {
        busy = false;
      }
    };
    WRAPPED.set(wrapper, { state, original });
    let applied = false;
    try {
      target[method] = wrapper;
      applied = target[method] === wrapper;
    } catch {
      // reported below, after the rollback
    }
    if (!applied) {
      // A setter or proxy that refused although the checks passed: put back
      // what was already wrapped, then report.
      state.active = false;
      for (const [done, previous] of originals) {
        try {
          target[done] = previous;
        } catch {
          // it took a value a moment ago; nothing more can be done
        }
      }
      throw invalidOption(who, `console.${method} refused to be replaced: nothing was wrapped`);
    }
    originals.set(method, original);
  }

  return function uninstall() {
    if (!state.active) return;
    state.active = false;
    for (const method of originals.keys()) unwind(target, method);
  };
}

// Every wrapper ever installed -> { install state, the function it wrapped },
// so that uninstalls in any order end with exactly the original functions.
const WRAPPED = new WeakMap();

/**
 * Peels uninstalled wrappers off the top of console[method]; stops at a live
 * one, or at a function someone else put there (which stays: ours below it
 * just passes through).
 */
function unwind(target, method) {
  let current = target[method];
  let info = WRAPPED.get(current);
  if (info === undefined) return;
  while (info !== undefined && !info.state.active) {
    current = info.original;
    info = WRAPPED.get(current);
  }
  target[method] = current;
}

// pinoMixin's fast path: the scope's fragment (`,"session_id":"s",...`,
// serialized once per scope) goes into the line through pino's bindings
// text (`chindings`), which pino splices raw right after the time, instead
// of through the mixin's returned object, whose every key pino would
// serialize again on every line.
//
// Why: measured on pino 10, a mixin returning the four fields costs about
// 2x a plain line whatever it does (the naive `mixin: () => als.getStore()`
// included): pino serializes each key and value per line. Splicing the
// pre-serialized text costs about what a child logger with the same
// bindings costs.
//
// How: on a logger pinoMixin is called for, pino's chindings slot
// (`pino.symbols.chindingsSym`, exported for integrations) becomes an accessor: reads give the logger's own
// bindings, exactly as before (logger.bindings(), child(), setBindings()
// see no difference), except the one read pino's line builder makes right
// after the mixin ran for that logger, which gets the fragment appended.
// pino reads chindings exactly once per line, in asJson, after the mixin
// (pino 9 and 10 lib/proto.js write(), lib/tools.js _asJson). The appended
// read is armed per line, for one logger and one scope, and disarms itself;
// should a line be abandoned between the mixin and asJson (a throwing merge
// strategy), a later read in another scope still gets the bare bindings.
// Child loggers made later inherit the accessor (their own bindings are kept
// under BASE on the child). Only loggers configured with pinoMixin are
// touched; nothing is changed process-wide.
import { internals } from '../node/runtime.js';

const { carrier } = internals;
const BASE = Symbol('mellea-context.pinoBindings');
const hasOwn = Object.prototype.hasOwnProperty;

let armedLogger;
let armedScope;
let armedText = '';
// The last joined text: a request logs many lines in one scope.
let joinedBase;
let joinedScope;
let joinedText;
let joined = '';

function getChindings() {
  const base = this[BASE];
  if (armedLogger !== this) return base;
  armedLogger = undefined;
  if (carrier.getStore() !== armedScope) return base;
  // The scope is compared first: fragments of two scopes share a long
  // prefix, and comparing their text flattened both (measured ~130 ns of a
  // new request scope's first line). In one scope the text is usually the
  // same string object, which compares at once.
  if (base !== joinedBase || armedScope !== joinedScope || armedText !== joinedText) {
    joinedBase = base;
    joinedScope = armedScope;
    joinedText = armedText;
    joined = base + armedText;
  }
  return joined;
}

function setChindings(value) {
  // On a child, this makes its own BASE (the accessor is inherited).
  Object.defineProperty(this, BASE, { value, writable: true, configurable: true, enumerable: false });
}

/**
 * Makes `logger`'s chindings slot the accessor above; false when it cannot
 * be. Its ancestors' slots too (pino makes a child as Object.create(parent)):
 * children made later then keep their bindings under BASE through the
 * inherited setter, and read through the inherited accessor. A logger that
 * never logs itself (pino-http's, whose lines go through a child logger per
 * request) otherwise had each child's slot redefined, ~0.8 us a request
 * (bench/logging.bench.mjs, a child logger per request).
 */
export function installSplice(logger, chindingsSym) {
  // A child made after its parent's slot became the accessor: nothing to do.
  if (hasOwn.call(logger, BASE) && !hasOwn.call(logger, chindingsSym)) return true;
  let installed = false;
  for (let o = logger; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    const desc = Object.getOwnPropertyDescriptor(o, chindingsSym);
    if (desc === undefined) continue;
    if (desc.get === getChindings) return true;
    if (!('value' in desc) || typeof desc.value !== 'string' || !desc.configurable || !Object.isExtensible(o)) return installed;
    Object.defineProperty(o, BASE, { value: desc.value, writable: true, configurable: true, enumerable: false });
    Object.defineProperty(o, chindingsSym, { get: getChindings, set: setChindings, configurable: true, enumerable: desc.enumerable });
    installed = true;
  }
  return installed;
}

/** The next chindings read of `logger` (pino's, for this line) appends `text`. */
export function armSplice(logger, scope, text) {
  armedLogger = logger;
  armedScope = scope;
  armedText = text;
}

/** Disarms a splice a line did not consume. */
export function disarmSplice() {
  armedLogger = undefined;
}

// The text line format, logfmt: `timestamp=… level=… message=… key=value ...`.
// Every value is written by the C++ core's one text writer
// (src/text_value.h states the rule): bare when it is a plain word, else
// double-quoted with `\"` and `\\`, every control character and line
// separator escaped, so no message or value can end the line early, forge a
// second one, move a terminal's cursor, or read as another key.
import { internals } from '../node/runtime.js';

const { boundary } = internals;

/** A value for `key=value`: bare when unambiguous, else double-quoted. */
export function textValue(value) {
  return boundary.textValue(typeof value === 'string' ? value : String(value));
}

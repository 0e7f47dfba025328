// The text line format, logfmt: `timestamp=… level=… message=… key=value ...`.
// Every control character (C0, DEL, C1) and the Unicode line separators
// become visible escapes, so no message or value can end the line early,
// forge a second one, or move a terminal's cursor; values with spaces,
// quotes, `=` or backslashes are double-quoted (`\"` and `\\` inside), so a
// message can never read as another key.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NEEDS_QUOTES = /[\s"'=\\\u0000-\u001f\u007f-\u009f\u2028\u2029]|^$/;
const SHORT = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\u001b': '\\e' };

function escapeControl(c) {
  const short = SHORT[c];
  if (short !== undefined) return short;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

// Lone surrogates would print as garbage or trip a UTF-8 encoder downstream.
function wellFormed(text) {
  return text.isWellFormed() ? text : text.toWellFormed();
}

/** A value for `key=value`: bare when unambiguous, else double-quoted. */
export function textValue(value) {
  const text = wellFormed(typeof value === 'string' ? value : String(value));
  if (!NEEDS_QUOTES.test(text)) return text;
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`).replace(CONTROL, escapeControl)}"`;
}

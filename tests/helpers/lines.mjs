// A sink that collects emitted lines and parses each as JSON, for pino
// (write(string)), winston (a Writable: sink.stream) and installConsole.
import { Writable } from 'node:stream';

export function lineSink() {
  const raw = [];
  let partial = '';
  function write(chunk) {
    const text = partial + String(chunk);
    const parts = text.split('\n');
    partial = parts.pop();
    raw.push(...parts);
    return true;
  }
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      write(chunk);
      callback();
    },
  });
  return {
    write,
    stream,
    /** Raw lines, newline removed. */
    get lines() {
      return raw.slice();
    },
    /** Every line parsed as JSON (throws, naming the line, if one is not). */
    get records() {
      return raw.map((line) => {
        try {
          return JSON.parse(line);
        } catch (error) {
          throw new Error(`not a JSON line: ${JSON.stringify(line.slice(0, 300))} (${error.message})`);
        }
      });
    },
    /** What has been written after the last newline (should stay ''). */
    get partial() {
      return partial;
    },
    clear() {
      raw.length = 0;
      partial = '';
    },
  };
}

/**
 * Top-level keys of a JSON object text in order, duplicates included
 * (JSON.parse keeps only the last, hiding them).
 */
export function topLevelKeys(text) {
  const keys = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, j + 1)));
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

/** Keys that appear more than once at the top level of a JSON line. */
export function duplicateKeys(text) {
  const seen = new Set();
  const dups = [];
  for (const key of topLevelKeys(text)) {
    if (seen.has(key)) dups.push(key);
    seen.add(key);
  }
  return dups;
}

/** The context fields of a parsed line, for exact comparisons. */
export function contextOf(record, names = ['session_id', 'request_id', 'model_id', 'sampling_iteration']) {
  const out = {};
  for (const name of names) if (Object.hasOwn(record, name)) out[name] = record[name];
  return out;
}

/**
 * A strict logfmt parser for installConsole's text lines: `key=value`
 * pairs separated by one space; a value is bare (no space, quote, `=` or
 * backslash) or double-quoted with `\"` and `\\` escapes. Returns the pairs
 * in order (duplicates kept) or throws, naming the line, on anything else.
 * With `decode`, values are the texts they stand for: the control escapes
 * (\n \r \t \b \f \e \xHH \uHHHH) are decoded too.
 */
export function parseLogfmt(line, { decode = false } = {}) {
  const pairs = [];
  let i = 0;
  const fail = (why) => {
    throw new Error(`not a logfmt line (${why} at ${i}): ${JSON.stringify(line.slice(0, 300))}`);
  };
  while (i < line.length) {
    const eq = line.indexOf('=', i);
    if (eq <= i) fail('missing key');
    const key = line.slice(i, eq);
    if (!/^[a-z][a-z0-9_]*$/.test(key)) fail(`bad key ${JSON.stringify(key)}`);
    i = eq + 1;
    let value = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) fail('unterminated quote');
        const c = line[i];
        if (c === '"') break;
        if (c === '\\') {
          value += line.slice(i, i + 2);
          i += 2;
        } else {
          value += c;
          i++;
        }
      }
      i++;
    } else {
      const end = line.indexOf(' ', i);
      value = line.slice(i, end === -1 ? line.length : end);
      if (/["=\\]/.test(value) || value === '') fail('bad bare value');
      i += value.length;
    }
    pairs.push([key, decode ? decodeLogfmt(value) : value.replace(/\\(["\\])/g, '$1')]);
    if (i < line.length) {
      if (line[i] !== ' ') fail('expected a space');
      i++;
    }
  }
  return pairs;
}

const SHORT_ESCAPES = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', e: '\u001b', '"': '"', '\\': '\\' };

/** The text a logfmt value (its inside, quotes removed) stands for. */
function decodeLogfmt(raw) {
  return raw.replace(/\\(x[0-9a-f]{2}|u[0-9a-f]{4}|.)/g, (_, e) => {
    if (e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    const short = SHORT_ESCAPES[e];
    if (short === undefined) throw new Error(`unknown logfmt escape \\${e} in ${JSON.stringify(raw)}`);
    return short;
  });
}

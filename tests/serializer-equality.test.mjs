// Issue 8, "one serializer, one escaping rule": the same field value must be
// the same bytes in every output (getCurrentContext() through JSON.stringify,
// formatRecord with and without exception/extra/redact, pinoOptions and
// pinoMixin lines with and without redact, installConsole JSON lines,
// winston's json format), and baggage must percent-decode back to it.
//
// getCurrentContext() and winston's lines are serialized by JavaScript, so the
// only rule under which every output can agree is JSON.stringify's for the
// characters a value may hold (values refuse U+2028/U+2029, controls and lone
// surrogates, the characters where JSON.stringify and "JS-safe" escaping
// differ). Messages and caller fields may hold those characters: there the
// test asks only that the package's own outputs agree with each other.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import winston from 'winston';
import { defineField, getCurrentContext, withContext } from 'mellea-context';
import { createRecordFormatter, formatRecord, installConsole } from 'mellea-context/console';
import { extractHeaders, injectHeaders } from 'mellea-context/http';
import { createPinoMixin, pinoMixin, pinoOptions } from 'mellea-context/pino';
import { winstonFormat } from 'mellea-context/winston';
import { HOSTILE_TEXTS, HOSTILE_VALUES, label, memberBytes } from './helpers/hostile-values.mjs';
import { lineSink, parseLogfmt } from './helpers/lines.mjs';

// Process-wide, but this file runs in a process of its own (node --test).
defineField('tenant', { type: 'string' });

const REDACT = { request_id: 'omit' };
const HASH = { request_id: 'hash' };

/** Every JSON output, each a function returning one line for the current scope. */
function outputs() {
  const sinks = {};
  const pinoLine = (name, options) => {
    const sink = (sinks[name] = lineSink());
    const logger = pino(options, { write: (l) => sink.write(l) });
    return () => {
      sink.clear();
      logger.info({ call: 1 }, 'm');
      return sink.lines[0];
    };
  };
  const winstonLine = (name, format) => {
    const sink = lineSink();
    const logger = winston.createLogger({
      format: winston.format.combine(format, winston.format.json()),
      transports: [new winston.transports.Stream({ stream: sink.stream })],
    });
    return () => {
      sink.clear();
      logger.info('m');
      return sink.lines[0];
    };
  };
  const consoleLine = (name, call) => {
    const sink = lineSink();
    const fake = { log() {}, info() {}, warn() {}, error() {}, debug() {} };
    return () => {
      sink.clear();
      const uninstall = installConsole({ console: fake, stream: sink });
      try {
        call(fake);
      } finally {
        uninstall();
      }
      return sink.lines[0];
    };
  };
  const redacted = createRecordFormatter({ redact: REDACT });
  const hashed = createRecordFormatter({ redact: HASH });
  return {
    'JSON.stringify(getCurrentContext())': () => JSON.stringify(getCurrentContext()),
    'formatRecord({message})': () => formatRecord({ message: 'm' }),
    'formatRecord({message, exception})': () => formatRecord({ message: 'm', exception: 'boom' }),
    'formatRecord({message, error: Error})': () => formatRecord({ message: 'm', error: new Error('boom') }),
    'formatRecord({message, extra})': () => formatRecord({ message: 'm', user: 'u', n: 1 }),
    'formatRecord({message, exception, extra})': () => formatRecord({ message: 'm', exception: 'boom', user: 'u' }),
    'createRecordFormatter({redact: omit})': () => redacted({ message: 'm' }),
    'createRecordFormatter({redact: omit}) with extra': () => redacted({ message: 'm', user: 'u' }),
    'createRecordFormatter({redact: hash}) with exception': () => hashed({ message: 'm', exception: 'boom' }),
    'pino pinoOptions()': pinoLine('options', { ...pinoOptions() }),
    'pino pinoOptions({redact})': pinoLine('optionsRedact', { ...pinoOptions({ redact: REDACT }) }),
    'pino pinoMixin': pinoLine('mixin', { mixin: pinoMixin }),
    'pino createPinoMixin({redact})': pinoLine('mixinRedact', { mixin: createPinoMixin({ redact: HASH }) }),
    'installConsole json console.log': consoleLine('log', (c) => c.log('m')),
    'installConsole json console.error(err)': consoleLine('error', (c) => c.error(new Error('boom'))),
    'installConsole json console.info(format, obj)': consoleLine('info', (c) => c.info('m %s', 'x', { a: 1 })),
    'winston winstonFormat()': winstonLine('winston', winstonFormat()),
    'winston winstonFormat({redact})': winstonLine('winstonRedact', winstonFormat({ redact: REDACT })),
  };
}

describe('a field value is the same bytes in every output', () => {
  assert.ok(HOSTILE_VALUES.length >= 30);
  const all = outputs();
  for (const value of HOSTILE_VALUES) {
    it(label(value), () => {
      const expected = (key) => `"${key}":${JSON.stringify(value)}`;
      withContext({ session_id: value, request_id: 'r-1', model_id: value, tenant: value, sampling_iteration: 3 }, () => {
        const mismatches = [];
        for (const [name, line] of Object.entries(all)) {
          const text = line();
          for (const key of ['session_id', 'model_id', 'tenant']) {
            let bytes;
            try {
              bytes = memberBytes(text, key, value);
            } catch (error) {
              mismatches.push(`${name}: ${error.message}`);
              continue;
            }
            if (bytes !== expected(key)) mismatches.push(`${name}: ${JSON.stringify(bytes)} (expected ${JSON.stringify(expected(key))})`);
          }
        }
        assert.deepEqual(mismatches, []);
      });
    });
  }
});

// Accepted by today's rules, refused by the new ones (issue 8 finding 9):
// while such a value is accepted, every output must still agree on it.
describe('a value with U+2028, U+2029 or a bidi control is refused, or the same bytes everywhere', () => {
  const all = outputs();
  for (const value of ['a\u2028b', 'a\u2029b', 'user\u202Enimda', '\u2066x\u2069']) {
    it(label(value), () => {
      let lines;
      try {
        lines = withContext({ session_id: value, request_id: 'r-1' }, () => Object.entries(all).map(([name, line]) => [name, line()]));
      } catch (error) {
        assert.equal(error.code, 'ERR_MELLEA_INVALID_VALUE');
        return;
      }
      const bytes = lines.map(([name, text]) => `${memberBytes(text, 'session_id', value)} <- ${name}`);
      assert.equal(new Set(bytes.map((b) => b.split(' <- ')[0])).size, 1, bytes.join('\n'));
    });
  }
});

describe('baggage carries every hostile value and decodes back to it', () => {
  for (const value of HOSTILE_VALUES) {
    it(label(value), () => {
      withContext({ session_id: value, model_id: value, tenant: value }, () => {
        const headers = injectHeaders({ baggage: 'other=1' }, { redactExternal: {} });
        const members = Object.fromEntries(
          headers.baggage.split(',').map((member) => {
            const eq = member.indexOf('=');
            return [member.slice(0, eq).trim(), member.slice(eq + 1).trim()];
          }),
        );
        assert.equal(members.other, '1');
        for (const key of ['session_id', 'model_id', 'tenant']) {
          const encoded = members[`mellea.${key}`];
          assert.ok(encoded !== undefined, `no mellea.${key} in ${headers.baggage}`);
          // W3C baggage values: no raw space, comma, semicolon, backslash or quote.
          assert.doesNotMatch(encoded, /[\s,;\\"]/, `raw delimiter in ${encoded}`);
          assert.equal(decodeURIComponent(encoded), value, `mellea.${key}`);
        }
        assert.deepEqual({ ...extractHeaders(headers) }, { session_id: value, model_id: value, tenant: value });
      });
    });
  }
});

describe('a message or caller field is the same bytes in every line the package builds', () => {
  const redacted = createRecordFormatter({ redact: REDACT });
  const sink = lineSink();
  const fake = { log() {}, info() {}, warn() {}, error() {}, debug() {} };
  for (const text of HOSTILE_TEXTS) {
    it(label(text), () => {
      withContext({ session_id: 'sé', request_id: 'r' }, () => {
        sink.clear();
        const uninstall = installConsole({ console: fake, stream: sink });
        try {
          fake.log(text);
        } finally {
          uninstall();
        }
        const messageLines = {
          'formatRecord({message})': formatRecord({ message: text }),
          'formatRecord({message, exception})': formatRecord({ message: text, exception: 'boom' }),
          'formatRecord({message, extra})': formatRecord({ message: text, user: 'u' }),
          'createRecordFormatter({redact})': redacted({ message: text }),
          'createRecordFormatter({redact}) with exception': redacted({ message: text, exception: 'boom' }),
          'installConsole json': sink.lines[0],
        };
        const messages = Object.entries(messageLines).map(([name, line]) => `${memberBytes(line, 'message')} <- ${name}`);
        assert.equal(new Set(messages.map((m) => m.split(' <- ')[0])).size, 1, messages.join('\n'));
        const noteLines = {
          'formatRecord extra': formatRecord({ message: 'm', note: text }),
          'formatRecord extra with exception': formatRecord({ message: 'm', note: text, exception: 'boom' }),
          'createRecordFormatter({redact}) extra': redacted({ message: 'm', note: text }),
        };
        const notes = Object.entries(noteLines).map(([name, line]) => `${memberBytes(line, 'note')} <- ${name}`);
        assert.equal(new Set(notes.map((m) => m.split(' <- ')[0])).size, 1, notes.join('\n'));
        // The exception text too, with and without caller fields.
        const exceptions = [formatRecord({ message: 'm', exception: text }), formatRecord({ message: 'm', exception: text, user: 'u' })]
          .map((line) => (text === '' ? 'none' : memberBytes(line, 'exception')));
        assert.equal(exceptions[0], exceptions[1]);
      });
    });
  }
});

// Values are written into wasm as UTF-8 by the boundary's own loop when short
// (up to 64 UTF-16 units) and by TextEncoder when longer: both must give the
// bytes TextEncoder gives, so every value reads back as itself.
describe('values of every UTF-8 length, short and long, read back as themselves', () => {
  // Printable characters of 1 to 4 UTF-8 bytes (no controls, no U+2028/9, no bidi controls).
  const POOL = ['a', 'Z', '~', '"', '\\', 'é', 'ß', 'Ω', 'ж', '€', '中', '\uffef', '😀', '𝄞', '\u{10ffff}'];
  let seed = 7;
  const random = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const values = [];
  for (let k = 0; k < 400; k++) {
    let text = '';
    const target = 1 + random(90); // around the 64-unit switch
    while (text.length < target) text += POOL[random(POOL.length)];
    values.push(text);
  }
  it('through the scope JSON the core writes (pino lines) and getCurrentContext()', () => {
    const sink = lineSink();
    const logger = pino(pinoOptions(), { write: (l) => sink.write(l) });
    for (const value of values) {
      sink.clear();
      withContext({ session_id: value, tenant: `${value}!` }, () => {
        assert.equal(getCurrentContext().session_id, value);
        logger.info('m');
      });
      const line = JSON.parse(sink.lines[0]);
      assert.equal(line.session_id, value, label(value));
      assert.equal(line.tenant, `${value}!`, label(value));
    }
  });
  it('a message with lone surrogates is written with U+FFFD, as TextEncoder writes it', () => {
    for (const text of ['a\ud800b', '\udc00', 'x\ud83d', '\ud83d\ude00\ud83d']) {
      const line = JSON.parse(formatRecord({ message: text }));
      assert.equal(line.message, new TextDecoder().decode(new TextEncoder().encode(text)));
    }
  });
});

// Text lines (installConsole({ format: 'text' })) are logfmt, written by the
// core's one text writer (src/text_value.h): every value and message must
// read back as itself (lone surrogates as U+FFFD), on one line, with no raw
// control character, in a short text and in one long enough to be escaped
// in chunks.
describe('console text lines: every value and message reads back as itself', () => {
  const textLine = (fields, message) => {
    const sink = lineSink();
    const fake = { log() {}, info() {}, warn() {}, error() {}, debug() {} };
    const uninstall = installConsole({ console: fake, stream: sink, format: 'text' });
    try {
      withContext(fields, () => fake.log('%s', message));
    } finally {
      uninstall();
    }
    assert.equal(sink.lines.length, 1);
    return sink.lines[0];
  };
  const wellFormed = (text) => text.toWellFormed();
  it('for the hostile values and texts', () => {
    for (const value of HOSTILE_VALUES) {
      const message = HOSTILE_TEXTS[HOSTILE_VALUES.indexOf(value) % HOSTILE_TEXTS.length];
      const line = textLine({ session_id: value, tenant: value }, message);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/, label(value));
      const record = Object.fromEntries(parseLogfmt(line, { decode: true }));
      assert.equal(record.session_id, value, label(value));
      assert.equal(record.tenant, value, label(value));
      assert.equal(record.message, wellFormed(message), label(message));
    }
    for (const message of HOSTILE_TEXTS) {
      const record = Object.fromEntries(parseLogfmt(textLine({ session_id: 's-1' }, message), { decode: true }));
      assert.equal(record.message, wellFormed(message), label(message));
      assert.equal(record.session_id, 's-1');
    }
  });
  it('for a message longer than one chunk (a surrogate pair on each chunk edge)', () => {
    const unit = 'a "b"\\ c\n\u001b é 😀 \u2028';
    let message = '';
    while (message.length < 100_000) message += unit;
    message = `${'x'.repeat(16383)}😀${message}`;
    const line = textLine({ session_id: 's-1' }, message);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    assert.equal(Object.fromEntries(parseLogfmt(line, { decode: true })).message, message);
  });
});

// Issue 8, findings 1-3 and 5-9, each as a user meets it through the public
// API (finding 4, the 2^31 wrap of the two-spellings check, is tested by the
// core's own tests). Scenarios that change process-wide settings or that can
// leave the wasm core corrupted run in a child process (tests/helpers/child.mjs)
// and end with the health probe (tests/helpers/health.mjs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ContextFieldError,
  bind,
  enterContext,
  getCurrentContext,
  getSessionId,
  storeStats,
  withContext,
} from 'mellea-context';
import { createRecordFormatter, formatRecord } from 'mellea-context/console';
import { extractHeaders } from 'mellea-context/http';
import { pinoOptions } from 'mellea-context/pino';
import pino from 'pino';
import { runChecked } from './helpers/child.mjs';
import { lineSink } from './helpers/lines.mjs';
import { NODE_MAJOR } from './helpers/node-matrix.mjs';

// Shared head of every child scenario.
const PRELUDE = `
import assert from 'node:assert/strict';
import http from 'node:http';
import pino from 'pino';
import {
  ContextFieldError, bind, configure, defineField, enterContext, generateRequestId,
  getCurrentContext, getSessionId, getModelId, storeStats, withContext,
} from 'mellea-context';
import { createRecordFormatter, formatRecord, installConsole } from 'mellea-context/console';
import { extractHeaders, injectHeaders, withRequestContext } from 'mellea-context/http';
import { createPinoMixin, pinoMixin, pinoOptions } from 'mellea-context/pino';
import { winstonFormat } from 'mellea-context/winston';
import { healthProbe, HEAP_BUDGET, MiB, V4_ID } from './tests/helpers/health.mjs';
import { lineSink } from './tests/helpers/lines.mjs';
import { CLEAR } from './tests/helpers/outbound.mjs';
const Q700 = '"'.repeat(700);
`;

// After the hostile step: the module answers like a fresh one, and 354
// later lines (the issue counted 342 of 354 without fields) keep theirs.
const AFTERWARDS = `
healthProbe({ label: 'afterwards' });
let wrong = 0;
const firstWrong = [];
for (let i = 0; i < 354; i++) {
  withContext({ sessionId: 'sé-' + i, modelId: 'm"' + i }, () => {
    const line = formatRecord({ message: 'next', i });
    let parsed;
    try { parsed = JSON.parse(line); } catch { parsed = {}; }
    if (parsed.session_id !== 'sé-' + i || parsed.model_id !== 'm"' + i || parsed.i !== i) {
      wrong++;
      if (firstWrong.length < 3) firstWrong.push(line.slice(0, 200));
    }
  });
}
assert.equal(wrong, 0, wrong + ' of 354 later lines lost or changed their fields, e.g. ' + JSON.stringify(firstWrong));
healthProbe({ label: 'after 354 lines' });
`;

const child = (body, options = {}) => runChecked(`${PRELUDE}\n${body}`, { timeoutMs: 60_000, ...options });

describe('finding 1: a scope whose JSON outgrows the I/O buffer does not corrupt the core', () => {
  it('a record with a caller field (three 700-quote values, maxValueBytes 1024)', () => child(`
    configure({ maxValueBytes: 1024 });
    withContext({ session_id: Q700, request_id: Q700, model_id: Q700 }, () => {
      const line = JSON.parse(formatRecord({ message: 'x', user: 'caller' }));
      assert.equal(line.session_id, Q700);
      assert.equal(line.request_id, Q700);
      assert.equal(line.model_id, Q700);
      assert.equal(line.user, 'caller', 'the caller field was lost: ' + JSON.stringify(Object.keys(line)));
      assert.equal(line.extra_unparsed, undefined);
    });
    ${AFTERWARDS}
  `));

  it('console.error(err) under installConsole', () => child(`
    configure({ maxValueBytes: 1024 });
    const out = lineSink();
    const fake = { log() {}, info() {}, warn() {}, error() {}, debug() {} };
    const uninstall = installConsole({ console: fake, stream: out });
    withContext({ session_id: Q700, request_id: Q700, model_id: Q700 }, () => fake.error(new Error('boom')));
    uninstall();
    const [line] = out.records;
    assert.equal(line.level, 'ERROR');
    assert.equal(line.session_id, Q700);
    assert.equal(line.model_id, Q700);
    assert.match(line.exception, /Error: boom/);
    ${AFTERWARDS}
  `));

  it('a redact option (formatter, pino, mixin, winston)', () => child(`
    configure({ maxValueBytes: 1024 });
    const redact = { request_id: 'omit', model_id: 'hash' };
    const sink = lineSink();
    const logger = pino({ ...pinoOptions({ redact }) }, { write: (l) => sink.write(l) });
    const mixinSink = lineSink();
    const mixinLogger = pino({ mixin: createPinoMixin({ redact }) }, { write: (l) => mixinSink.write(l) });
    withContext({ session_id: Q700, request_id: Q700, model_id: Q700 }, () => {
      const lines = [
        JSON.parse(createRecordFormatter({ redact })({ message: 'r' })),
        (logger.info('p'), sink.records[0]),
        (mixinLogger.info('m'), mixinSink.records[0]),
        winstonFormat({ redact }).transform({ level: 'info', message: 'w' }),
      ];
      for (const [n, line] of lines.entries()) {
        assert.equal(line.session_id, Q700, 'output ' + n + ' lost session_id');
        assert.equal(line.request_id, undefined, 'output ' + n + ' did not omit request_id');
        assert.match(String(line.model_id), /^[0-9a-f]{16}$/, 'output ' + n + ' did not hash model_id');
      }
      assert.equal(lines[0].model_id, lines[1].model_id);
    });
    ${AFTERWARDS}
  `));

  it('injectHeaders into headers that already carry baggage', () => child(`
    configure({ maxValueBytes: 1024 });
    withContext({ session_id: Q700, request_id: Q700, model_id: Q700 }, () => {
      const headers = injectHeaders({ baggage: 'k=v' }, CLEAR);
      assert.match(headers.baggage, /(^|,)k=v(,|$)/, 'existing baggage lost: ' + headers.baggage.slice(0, 120));
      assert.deepEqual({ ...extractHeaders(headers) }, { session_id: Q700, request_id: Q700, model_id: Q700 });
    });
    ${AFTERWARDS}
  `));

  it('eight quote-heavy fields at the default limit', () => child(`
    for (const name of ['f_one', 'f_two', 'f_three', 'f_four', 'f_five']) defineField(name, { type: 'string' });
    const q = '"'.repeat(256);
    const fields = { session_id: q, request_id: q, model_id: q, f_one: q, f_two: q, f_three: q, f_four: q, f_five: q };
    withContext(fields, () => {
      const line = JSON.parse(formatRecord({ message: 'x', user: 'caller' }));
      for (const key of Object.keys(fields)) assert.equal(line[key], q, key);
      assert.equal(line.user, 'caller');
      assert.deepEqual({ ...extractHeaders(injectHeaders({ baggage: 'k=v' }, CLEAR)) }, fields);
    });
    ${AFTERWARDS}
  `));

  it('node:http: one request with three 700-quote headers copied in through fields(req)', () => child(`
    configure({ maxValueBytes: 1024 });
    defineField('tenant_id', { type: 'string' });
    const logs = lineSink();
    const server = http.createServer(withRequestContext((req, res) => {
      logs.write(formatRecord({ message: 'request', path: req.url }) + '\\n');
      const outbound = injectHeaders({ baggage: 'k=v' }, CLEAR);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ context: getCurrentContext(), outbound }));
    }, {
      fields: (req) => ({ session_id: req.headers['x-s'], model_id: req.headers['x-m'], tenant_id: req.headers['x-t'] }),
      onError: () => {},
    }));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    async function call(headers) {
      const res = await fetch('http://127.0.0.1:' + port + '/p', { headers, signal: AbortSignal.timeout(5000) });
      return { id: res.headers.get('x-request-id'), body: await res.json() };
    }
    try {
      const hostile = await call({ 'x-s': Q700, 'x-m': Q700, 'x-t': Q700 });
      assert.equal(hostile.body.context.session_id, Q700);
      assert.equal(hostile.body.context.tenant_id, Q700);
      assert.match(hostile.body.outbound.baggage, /(^|,)k=v(,|$)/);
      for (let i = 0; i < 60; i++) {
        const { id, body } = await call({ 'x-s': 'sé-' + i, 'x-m': 'granite-' + i, 'x-t': 't' + i });
        assert.match(id, V4_ID);
        assert.deepEqual(body.context, { session_id: 'sé-' + i, request_id: id, model_id: 'granite-' + i, tenant_id: 't' + i });
        assert.match(body.outbound.baggage, /(^|,)k=v(,|$)/);
      }
      const records = logs.records;
      assert.equal(records.length, 61);
      assert.equal(records[0].session_id, Q700);
      for (let i = 0; i < 60; i++) {
        assert.equal(records[i + 1].session_id, 'sé-' + i, 'log line ' + (i + 1));
        assert.equal(records[i + 1].path, '/p');
      }
    } finally {
      server.close();
    }
    ${AFTERWARDS}
  `));
});

describe('finding 2: memory is bounded by bytes, and huge input is refused before it enters wasm', () => {
  it('maxValueBytes 65536 and 4,200 held scopes of large values: no abort, fields on later lines, heap bounded', () => child(`
    configure({ maxValueBytes: 65536 });
    const big = 'é'.repeat(30000); // 60,000 UTF-8 bytes
    const held = [];
    for (let i = 0; i < 4200; i++) {
      held.push(withContext({ session_id: big, model_id: big, request_id: 'r-' + i }, () => {
        formatRecord({ message: 'x', i }); // serialized through the C++ store
        return bind(() => getCurrentContext().request_id);
      }));
      if (i % 500 === 0) assert.ok(storeStats().wasmHeapBytes <= HEAP_BUDGET, 'heap ' + storeStats().wasmHeapBytes + ' after ' + i + ' scopes');
    }
    for (let i = 0; i < 4200; i += 7) assert.equal(held[i](), 'r-' + i, 'held scope ' + i);
    withContext({ session_id: 'later', model_id: big }, () => {
      const line = JSON.parse(formatRecord({ message: 'later', k: 1 }));
      assert.equal(line.session_id, 'later');
      assert.equal(line.model_id, big);
    });
    configure({ maxValueBytes: 256 });
    ${AFTERWARDS}
  `, { timeoutMs: 120_000 }));

  it('a rejected 60 MB value leaves the wasm heap unchanged and gives ERR_MELLEA_INVALID_VALUE', () => child(`
    const before = storeStats().wasmHeapBytes;
    for (const value of ['x'.repeat(60e6), 'é'.repeat(30e6), 'ś'.repeat(20e6)]) {
      assert.throws(() => withContext({ session_id: value }, () => assert.fail('ran')),
        (e) => e instanceof ContextFieldError && e.code === 'ERR_MELLEA_INVALID_VALUE' && /session_id/.test(e.message));
      assert.throws(() => enterContext({ model_id: value }),
        (e) => e instanceof ContextFieldError && e.code === 'ERR_MELLEA_INVALID_VALUE');
      assert.equal(storeStats().wasmHeapBytes, before, 'the refused value was copied into wasm');
    }
    healthProbe();
  `, { timeoutMs: 90_000 }));

  it('a 90 M character value gives the documented ContextFieldError, not an undocumented TypeError', () => child(`
    const before = storeStats().wasmHeapBytes;
    const value = 'é'.repeat(90e6);
    assert.throws(() => withContext({ session_id: value }, () => assert.fail('ran')), (e) => {
      assert.ok(e instanceof ContextFieldError, e.name + ' ' + e.code + ': ' + e.message);
      assert.equal(e.code, 'ERR_MELLEA_INVALID_VALUE');
      assert.match(e.message, /session_id/);
      return true;
    });
    assert.equal(storeStats().wasmHeapBytes, before);
    healthProbe();
  `, { timeoutMs: 90_000 }));

  it('a 32 MiB record message does not leave the heap grown and finishes in bounded time', () => child(`
    const message = 'é'.repeat(16 * MiB) + 'ś'.repeat(8 * MiB); // 32 MiB of UTF-8 + 16 MiB
    withContext({ session_id: 'big-message' }, () => {
      const started = performance.now();
      const line = formatRecord({ message, user: 'u' });
      const ms = performance.now() - started;
      const parsed = JSON.parse(line); // valid JSON, whole or cut with a visible marker
      assert.equal(parsed.session_id, 'big-message');
      assert.equal(parsed.user, 'u');
      assert.ok(parsed.message.startsWith('é'.repeat(1000)));
      // Issue 8 allows refusing, cutting with a marker, or chunking; a cut must say so.
      if (parsed.message.length < message.length) assert.match(parsed.message, /truncated/);
      assert.ok(ms < 5000, 'formatRecord took ' + Math.round(ms) + ' ms');
    });
    assert.ok(storeStats().wasmHeapBytes <= HEAP_BUDGET, 'heap ' + storeStats().wasmHeapBytes);
    healthProbe();
  `, { timeoutMs: 90_000 }));

  it('a 1,000,000-key record does not leave the heap grown and finishes in bounded time', () => child(`
    const record = { message: 'many keys' };
    for (let i = 0; i < 1e6; i++) record['k' + i] = i;
    withContext({ session_id: 'many-keys', model_id: 'ḿ' }, () => {
      const started = performance.now();
      const line = formatRecord(record);
      const ms = performance.now() - started;
      const parsed = JSON.parse(line);
      assert.equal(parsed.session_id, 'many-keys');
      assert.equal(parsed.model_id, 'ḿ');
      // Today: 3.2 s in the issue, 5 s measured here. JSON.stringify of this
      // record alone takes 2.4-2.6 s on this (shared, 2-core) machine, so
      // the bound can only be met by not serializing every key: cut the
      // caller fields at a documented count with a visible marker, or refuse.
      // The README's cut: past 1,000 caller fields the rest are counted in
      // extra_truncated. Asserted as behaviour: a time bound of 2 s did the
      // same job and failed under load (3.0 s with two test files at once on
      // this 2-core machine, shared). The bound left only catches a hang or
      // a quadratic cut (minutes).
      assert.equal(Object.keys(parsed).filter((key) => /^k\\d+$/.test(key)).length, 1000);
      assert.match(parsed.extra_truncated, /^\\[999000 more caller fields\\]$/);
      assert.ok(ms < 20_000, 'formatRecord took ' + Math.round(ms) + ' ms');
    });
    assert.ok(storeStats().wasmHeapBytes <= HEAP_BUDGET, 'heap ' + storeStats().wasmHeapBytes);
    healthProbe();
  `, { timeoutMs: 90_000 }));
});

it('finding 2: a caller field nested too deep for JSON.stringify does not drop the other caller fields', () => {
  let deep = {};
  for (let i = 0; i < 100_000; i++) deep = { d: deep };
  // Up to Node 24, JSON.stringify overflows the stack at this depth; Node 26's
  // writes any depth (4,000,000 levels tried), so there `deep` is written.
  // A toJSON that recurses overflows on every Node.
  const overflows = (value) => {
    try {
      JSON.stringify(value);
      return false;
    } catch (error) {
      assert.ok(error instanceof RangeError, String(error));
      return true;
    }
  };
  assert.equal(overflows(deep), NODE_MAJOR < 26, 'the premise, per Node');
  const recursive = { toJSON() { return { again: this.toJSON() }; } };
  assert.equal(overflows(recursive), true, 'the premise');
  for (const [name, value] of [['deep', deep], ['recursive', recursive]]) {
    withContext({ session_id: 'deep-ś' }, () => {
      const line = JSON.parse(formatRecord({ message: 'deep', user: 'u', n: 2, [name]: value }));
      assert.equal(line.session_id, 'deep-ś');
      assert.equal(line.message, 'deep');
      assert.equal(line.user, 'u', `${name}: caller fields dropped: ${JSON.stringify(line).slice(0, 300)}`);
      assert.equal(line.n, 2);
      assert.ok(Object.hasOwn(line, name), `${name}: the field itself is named`);
      // What it becomes is not pinned down by the spec; the README's Node
      // versions table says what each Node gives, checked here.
      if (name === 'deep' && !overflows(value)) assert.match(line.deep, /^\{"d":\{"d":.*…\[truncated \d+ characters\]$/s);
      else assert.equal(line[name], '[unserializable: RangeError]');
    });
  }
});

describe('finding 3: one escaping rule whichever path builds the line', () => {
  const HOSTILE_TEXT = ['a\u2028b', 'a\u2029b', '</script>', 'q"uote\\back', '\u{1F600}é中', '\uFEFFbom', 'tab\tnl\ncr\r', 'e\u0301'];
  const HOSTILE_VALUES = ['é"\\</script>', '\u{1F600}中文', 'e\u0301\uFEFF', '{"json":1}', 'x'.repeat(256)];

  /** The bytes of `"key":<value>` in a JSON line. */
  function member(line, key, value) {
    const text = `"${key}":${JSON.stringify(value)}`;
    // The serialized form may differ from JSON.stringify's (e.g. \u2028 escaped):
    // find the member by its key and parse its value back.
    const at = line.indexOf(`"${key}":`);
    assert.notEqual(at, -1, `no ${key} in ${line.slice(0, 200)}`);
    let end = at + key.length + 3;
    if (line[end] === '"') {
      end++;
      while (line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
      end++;
    } else {
      while (!',}'.includes(line[end])) end++;
    }
    const bytes = line.slice(at, end);
    assert.deepEqual(JSON.parse(`{${bytes}}`), { [key]: value }, `member ${text}`);
    return bytes;
  }

  it('formatRecord writes the message the same with and without exception and caller fields', () => {
    for (const text of HOSTILE_TEXT) {
      withContext({ session_id: 's' }, () => {
        const variants = [
          formatRecord({ message: text }),
          formatRecord({ message: text, exception: 'boom' }),
          formatRecord({ message: text, user: 'u' }),
          createRecordFormatter({ redact: { model_id: 'omit' } })({ message: text }),
        ].map((line) => member(line, 'message', text));
        assert.equal(new Set(variants).size, 1, `message ${JSON.stringify(text)}: ${variants.join(' | ')}`);
      });
    }
  });

  it('formatRecord and pino write a field value the same, with and without exception and redact', () => {
    const sink = lineSink();
    const plain = pino({ ...pinoOptions() }, { write: (l) => sink.write(l) });
    const redactSink = lineSink();
    const redacted = pino({ ...pinoOptions({ redact: { request_id: 'omit' } }) }, { write: (l) => redactSink.write(l) });
    for (const value of HOSTILE_VALUES) {
      withContext({ session_id: value, request_id: 'r', model_id: value }, () => {
        sink.clear();
        redactSink.clear();
        plain.info('p');
        redacted.info('p');
        const lines = [
          formatRecord({ message: 'm' }),
          formatRecord({ message: 'm', exception: 'boom' }),
          formatRecord({ message: 'm', user: 'u' }),
          createRecordFormatter({ redact: { request_id: 'omit' } })({ message: 'm' }),
          sink.lines[0],
          redactSink.lines[0],
        ];
        for (const key of ['session_id', 'model_id']) {
          const bytes = lines.map((line) => member(line, key, value));
          assert.equal(new Set(bytes).size, 1, `${key} ${JSON.stringify(value)}: ${bytes.map((b) => JSON.stringify(b)).join(' | ')}`);
        }
      });
    }
  });

  // Issue 8's own reproduction: today 'a\u2028b' is accepted and written raw
  // by the fast path (formatRecord({ message }), pinoOptions()) but escaped by
  // the others. Under the new value rules it is refused; either way no two
  // outputs may disagree.
  it("sessionId 'a\\u2028b' is refused, or written the same by every path", () => {
    let lines;
    try {
      const sink = lineSink();
      const redactSink = lineSink();
      const plain = pino({ ...pinoOptions() }, { write: (l) => sink.write(l) });
      const redacted = pino({ ...pinoOptions({ redact: { request_id: 'omit' } }) }, { write: (l) => redactSink.write(l) });
      lines = withContext({ sessionId: 'a\u2028b', requestId: 'r' }, () => {
        plain.info('p');
        redacted.info('p');
        return [
          formatRecord({ message: 'm' }),
          formatRecord({ message: 'm', exception: 'boom' }),
          sink.lines[0],
          redactSink.lines[0],
        ];
      });
    } catch (error) {
      assert.equal(error.code, 'ERR_MELLEA_INVALID_VALUE');
      return;
    }
    const bytes = lines.map((line) => member(line, 'session_id', 'a\u2028b'));
    assert.equal(new Set(bytes).size, 1, bytes.map((b) => JSON.stringify(b)).join(' | '));
  });

  it('a caller field with U+2028 is written the same with and without exception', () => {
    withContext({ session_id: 'é' }, () => {
      const bytes = [
        formatRecord({ message: 'm', note: 'a\u2028b' }),
        formatRecord({ message: 'm', note: 'a\u2028b', exception: 'boom' }),
      ].map((line) => member(line, 'note', 'a\u2028b'));
      assert.equal(bytes[0], bytes[1]);
    });
  });
});

describe('finding 5: withContext({}, fn) is a frame of its own', () => {
  it('an enterContext inside withContext({}, fn) ends when fn returns', () => {
    withContext({ session_id: 'outer' }, () => {
      withContext({}, () => {
        enterContext({ session_id: 'inner', model_id: 'm' });
        assert.equal(getSessionId(), 'inner');
      });
      assert.equal(getSessionId(), 'outer', 'the enterContext outlived withContext({})');
      assert.deepEqual({ ...getCurrentContext() }, { session_id: 'outer' });
    });
  });

  it('also at the top level and for an async fn', async () => {
    await withContext({ session_id: 'outer' }, async () => {
      await withContext({}, async () => {
        await null;
        enterContext({ session_id: 'inner' });
        await new Promise((resolve) => setTimeout(resolve, 1));
        assert.equal(getSessionId(), 'inner');
      });
      assert.equal(getSessionId(), 'outer');
    });
    await new Promise((resolve) => {
      setImmediate(() => {
        withContext({}, () => enterContext({ session_id: 'top' }));
        assert.equal(getSessionId(), undefined, 'the enterContext leaked out of withContext({}) at the top level');
        resolve();
      });
    });
  });
});

it('finding 6: unknown field names are listed sorted, as mellea does', () => {
  assert.throws(() => withContext({ zeta: 1, alpha: 2, session_id: 's', Mid: 3 }, () => {}), (error) => {
    assert.equal(error.code, 'ERR_MELLEA_UNKNOWN_FIELD');
    // Python's sorted(): code point order, so 'Mid' < 'alpha' < 'zeta'.
    assert.match(error.message, /^Unknown context fields: \['Mid', 'alpha', 'zeta'\]/);
    return true;
  });
});

it('finding 7: liveScopes counts the scopes held, also for ASCII values', () => {
  const held = [];
  for (let i = 0; i < 100; i++) held.push(withContext({ session_id: `ascii-${i}`, model_id: 'granite' }, () => bind(() => getSessionId())));
  const { liveScopes } = storeStats();
  assert.ok(liveScopes >= 100, `100 distinct scopes are held but liveScopes = ${liveScopes}`);
  for (let i = 0; i < 100; i++) assert.equal(held[i](), `ascii-${i}`);
});

describe('finding 8: fields must be a plain object', () => {
  class Fields {
    constructor() { this.session_id = 'from-class'; }
  }
  const symbolOnly = { [Symbol('session_id')]: 'x' };
  const inherited = Object.create({ session_id: 'inherited' });
  const error = Object.assign(new Error('e'), { session_id: 'x' });
  const cases = [
    ['Map', new Map([['session_id', 'x']])],
    ['Set', new Set(['x'])],
    ['Date', new Date()],
    ['Error', error],
    ['Promise', Promise.resolve({ session_id: 'x' })],
    ['class instance', new Fields()],
    ['symbol-only keys', symbolOnly],
    ['inherited keys', inherited],
    ['array', ['x']],
  ];
  for (const [name, fields] of cases) {
    it(`${name} gives ERR_INVALID_ARG_TYPE (withContext and enterContext)`, () => {
      withContext({ session_id: 'before' }, () => {
        let ran = false;
        assert.throws(() => withContext(fields, () => { ran = true; }), (e) => e.code === 'ERR_INVALID_ARG_TYPE' && e instanceof TypeError, name);
        assert.equal(ran, false, 'fn ran');
        assert.throws(() => enterContext(fields), (e) => e.code === 'ERR_INVALID_ARG_TYPE', name);
        assert.equal(getSessionId(), 'before');
      });
    });
  }

  it('a null-prototype object is a plain object', () => {
    const fields = Object.assign(Object.create(null), { session_id: 'np' });
    withContext(fields, () => assert.equal(getSessionId(), 'np'));
  });

  it('a revoked Proxy and a Proxy with duplicate ownKeys give an error with a code', () => {
    const revocable = Proxy.revocable({ session_id: 'x' }, {});
    revocable.revoke();
    const duplicates = new Proxy({ session_id: 'x' }, { ownKeys: () => ['session_id', 'session_id'] });
    for (const [name, fields] of [['revoked', revocable.proxy], ['duplicate ownKeys', duplicates]]) {
      for (const call of [() => withContext(fields, () => assert.fail('ran')), () => enterContext(fields)]) {
        assert.throws(call, (e) => {
          assert.ok(e instanceof TypeError, `${name}: ${e}`);
          // README "The context API" > "Fields": "an object whose keys cannot be read throws ERR_INVALID_ARG_TYPE".
          assert.equal(e.code, 'ERR_INVALID_ARG_TYPE', `${name}: ${e.message}`);
          return true;
        });
      }
    }
    assert.deepEqual(getCurrentContext(), {});
  });

  it("defineField refuses a name whose alias differs from another's only by case, and names the loggers write", () => child(`
    const refuse = (name) => assert.throws(() => defineField(name, { type: 'string' }),
      (e) => e.code === 'ERR_MELLEA_FIELD_DEFINITION' && e.message.includes(name), name + ' was not refused');
    refuse('session_i_d'); // alias sessionID vs sessionId
    refuse('model_i_d');
    for (const name of ['level', 'time', 'msg', 'message', 'timestamp', 'exception', 'pid', 'hostname']) refuse(name);
    defineField('user_id', { type: 'string' });
    refuse('user_i_d'); // userID vs userId
    defineField('tenant', { type: 'string' });
    withContext({ userId: 'u', tenant: 't' }, () => assert.deepEqual({ ...getCurrentContext() }, { user_id: 'u', tenant: 't' }));
    healthProbe();
  `));
});

describe('finding 9: line separators and bidi controls are refused in values', () => {
  const CHARS = [0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069];
  for (const code of CHARS) {
    const hex = code.toString(16).toUpperCase();
    it(`U+${hex} gives ERR_MELLEA_INVALID_VALUE naming the character`, () => {
      const value = `user${String.fromCharCode(code)}nimda`;
      for (const fields of [{ session_id: value }, { modelId: value }, value]) {
        assert.throws(() => withContext(fields, () => assert.fail('ran')), (e) => {
          assert.ok(e instanceof ContextFieldError, String(e));
          assert.equal(e.code, 'ERR_MELLEA_INVALID_VALUE');
          // Expected spelling "U+2028" (the spec says only "naming the character").
          assert.match(e.message, new RegExp(`U\\+${hex}`, 'i'), e.message);
          return true;
        });
        assert.throws(() => enterContext(fields), { code: 'ERR_MELLEA_INVALID_VALUE' });
      }
    });
  }

  it('baggage a%E2%80%A8b is dropped, never reaching a pino line; good members are kept', () => {
    const headers = { baggage: 'mellea.session_id=a%E2%80%A8b,mellea.model_id=good,mellea.request_id=x%E2%80%AEy' };
    const fields = extractHeaders(headers);
    assert.deepEqual({ ...fields }, { model_id: 'good' });
    const sink = lineSink();
    const logger = pino({ ...pinoOptions() }, { write: (l) => sink.write(l) });
    withContext(fields, () => logger.info('from baggage'));
    assert.doesNotMatch(sink.lines[0], /[\u2028\u202e]|\\u2028|\\u202e/i);
    assert.equal(sink.records[0].model_id, 'good');
    assert.equal(sink.records[0].session_id, undefined);
  });

  it('the same characters stay allowed in messages and caller fields', () => {
    withContext({ session_id: 's' }, () => {
      const line = JSON.parse(formatRecord({ message: 'a\u2028b\u202e', note: '\u2066x\u2069' }));
      assert.equal(line.message, 'a\u2028b\u202e');
      assert.equal(line.note, '\u2066x\u2069');
    });
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { withContext, defineField } from 'mellea-context';
import { installConsole } from 'mellea-context/console';
import { lineSink, duplicateKeys, contextOf } from './helpers/lines.mjs';

const FULL = { session_id: 's-1', request_id: 'r-1', model_id: 'granite', sampling_iteration: 2 };
const sha16 = (text) => createHash('sha256').update(text).digest('hex').slice(0, 16);
const METHODS = ['log', 'info', 'warn', 'error', 'debug'];
const NASTY = ['a\r\nb', 'line\u2028sep', 'nul\u0000x', '\u001b[2J\u001b[H\u009b31m', 'lone \ud800 surrogate \udfff', 'x'.repeat(1 << 20)];

/** Runs fn with console wrapped into a fresh sink; always uninstalls. */
function withConsole(options, fn) {
  const sink = lineSink();
  const uninstall = installConsole({ stream: sink, ...options });
  try {
    fn(sink);
  } finally {
    uninstall();
  }
  return sink;
}

test('JSON lines: timestamp, level, message, then the fields; none outside a scope', async () => {
  const sink = lineSink();
  const uninstall = installConsole({ stream: sink });
  try {
    console.log('outside %d', 1);
    await withContext(FULL, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      console.info('inside %s', 'yes', { a: 1 });
      console.warn('careful');
      console.error('bad');
      console.debug('details');
    });
  } finally {
    uninstall();
  }
  const records = sink.records;
  assert.deepEqual(Object.keys(records[0]), ['timestamp', 'level', 'message']);
  assert.equal(records[0].message, 'outside 1');
  assert.equal(new Date(records[0].timestamp).toISOString(), records[0].timestamp);
  assert.deepEqual(Object.keys(records[1]), ['timestamp', 'level', 'message', ...Object.keys(FULL)]);
  assert.equal(records[1].message, "inside yes { a: 1 }");
  assert.deepEqual(records.slice(1).map((r) => r.level), ['INFO', 'WARNING', 'ERROR', 'DEBUG']);
  for (const record of records.slice(1)) assert.deepEqual(contextOf(record), FULL);
});

test('an Error argument becomes `exception` with its stack', () => {
  const error = new Error('boom');
  const sink = withConsole({}, () => withContext(FULL, () => console.error('failed:', error)));
  const [record] = sink.records;
  assert.equal(record.message, 'failed: Error: boom');
  assert.equal(record.exception, error.stack);
  assert.deepEqual(Object.keys(record).at(-1), 'exception');
  assert.deepEqual(contextOf(record), FULL);
});

test('text lines: timestamp LEVEL message key=value, quoted when needed', () => {
  const sink = withConsole({ format: 'text' }, () => {
    console.log('outside');
    withContext({ ...FULL, model_id: 'two words', session_id: 'say "hi"' }, () => console.warn('inside'));
  });
  const [outside, inside] = sink.lines;
  assert.match(outside, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO outside$/);
  assert.match(inside, / WARNING inside session_id="say \\"hi\\"" request_id=r-1 model_id="two words" sampling_iteration=2$/);
});

test('bad content: JSON lines parse, text lines stay one line without terminal controls', () => {
  for (const format of ['json', 'text']) {
    const sink = withConsole({ format }, () =>
      withContext(FULL, () => {
        for (const text of NASTY) console.log(text);
        console.error(new Error('multi\nline\u001b[31m'));
      }),
    );
    assert.equal(sink.partial, '');
    assert.equal(sink.lines.length, NASTY.length + 1, `${format}: one line per call`);
    for (const line of sink.lines) {
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/, `${format}: raw control character`);
      assert.equal(line.isWellFormed(), true);
    }
    if (format === 'json') {
      const records = sink.records;
      assert.equal(records[0].message, 'a\r\nb');
      assert.equal(records[2].message, 'nul\u0000x');
      assert.equal(records[4].message, 'lone \ufffd surrogate \ufffd');
      assert.equal(records[5].message.length, 1 << 20);
      for (const record of records) assert.deepEqual(contextOf(record), FULL);
    } else {
      assert.match(sink.lines[0], / INFO a\\r\\nb session_id=/);
      assert.match(sink.lines[3], / INFO \\e\[2J\\e\[H\\x9b31m /);
    }
  }
});

test('redaction: hash (SHA-256, 16 hex) and omit, in both formats', () => {
  for (const format of ['json', 'text']) {
    const sink = withConsole({ format, redact: { sessionId: 'hash', request_id: 'omit' } }, () =>
      withContext(FULL, () => console.log('x')),
    );
    const line = sink.lines[0];
    assert.equal(line.includes('s-1'), false);
    assert.equal(line.includes('r-1'), false);
    if (format === 'json') {
      const record = JSON.parse(line);
      assert.equal(record.session_id, sha16('s-1'));
      assert.equal('request_id' in record, false);
      assert.equal(record.model_id, 'granite');
    } else {
      assert.match(line, new RegExp(` session_id=${sha16('s-1')} model_id=granite sampling_iteration=2$`));
    }
  }
});

test('defined fields and nested scopes show the inner values', async () => {
  defineField('tenant_id', { type: 'string' });
  const sink = lineSink();
  const uninstall = installConsole({ stream: sink });
  try {
    await withContext({ sessionId: 'outer', tenantId: 'acme' }, async () => {
      for (let i = 0; i < 3; i++) {
        await withContext({ samplingIteration: i }, async () => {
          await null;
          console.log('attempt');
        });
      }
    });
  } finally {
    uninstall();
  }
  assert.deepEqual(
    sink.records.map((r) => [r.session_id, r.tenant_id, r.sampling_iteration]),
    [0, 1, 2].map((i) => ['outer', 'acme', i]),
  );
  assert.deepEqual(duplicateKeys(sink.lines[0]), []);
});

test('uninstall puts back the same function objects; install/uninstall cycles again', () => {
  const before = METHODS.map((m) => console[m]);
  for (let cycle = 0; cycle < 2; cycle++) {
    const sink = lineSink();
    const uninstall = installConsole({ stream: sink });
    assert.notEqual(console.log, before[0]);
    withContext(FULL, () => console.log('cycle %d', cycle));
    uninstall();
    uninstall(); // a second call is a no-op
    assert.deepEqual(METHODS.map((m) => console[m]), before);
    assert.equal(sink.records[0].message, `cycle ${cycle}`);
  }
});

test('uninstall out of order leaves a later wrapper in place and ours inert', () => {
  const target = { log: () => {}, info() {}, warn() {}, error() {}, debug() {} };
  const originals = { ...target };
  const first = lineSink();
  const second = lineSink();
  const uninstallFirst = installConsole({ console: target, stream: first });
  const uninstallSecond = installConsole({ console: target, stream: second });
  uninstallFirst();
  target.log('hello');
  assert.equal(first.lines.length, 0);
  assert.equal(second.lines.length, 1);
  uninstallSecond();
  target.log('again');
  assert.equal(second.lines.length, 1);
  assert.deepEqual({ ...target }, originals);
});

test('without a stream, lines go to the wrapped method; failures never reach the caller', () => {
  const received = [];
  const target = { log: (...args) => received.push(args), info() {}, warn() {}, error() {}, debug() {} };
  const uninstall = installConsole({ console: target });
  withContext(FULL, () => target.log('to the original'));
  uninstall();
  assert.equal(received.length, 1);
  assert.equal(received[0].length, 1);
  assert.deepEqual(contextOf(JSON.parse(received[0][0])), FULL);

  const broken = installConsole({ stream: { write() { throw new Error('disk full'); } } });
  try {
    assert.doesNotThrow(() => withContext(FULL, () => console.log('lost')));
    const hostile = { toString() { throw new Error('no'); }, [Symbol.for('nodejs.util.inspect.custom')]() { throw new Error('no'); } };
    assert.doesNotThrow(() => console.log(hostile));
  } finally {
    broken();
  }
});

test('a stream that logs to console does not loop', () => {
  const plain = [];
  const target = { log() {}, info() {}, warn() {}, error() {}, debug: (...args) => plain.push(args) };
  const lines = [];
  const uninstall = installConsole({
    console: target,
    stream: {
      write(line) {
        lines.push(line);
        target.debug('sink saw a line'); // reaches the original debug, unwrapped
      },
    },
  });
  withContext(FULL, () => target.log('once'));
  uninstall();
  assert.equal(lines.length, 1);
  assert.deepEqual(plain, [['sink saw a line']]);
});

test('a wrapper installed over ours by someone else stays; ours passes through', () => {
  const target = { log: (...args) => seen.push(args), info() {}, warn() {}, error() {}, debug() {} };
  const seen = [];
  const sink = lineSink();
  const uninstall = installConsole({ console: target, stream: sink });
  const ours = target.log;
  const foreign = (...args) => ours('[foreign]', ...args);
  target.log = foreign;
  uninstall();
  assert.equal(target.log, foreign);
  target.log('x');
  assert.equal(sink.lines.length, 0);
  assert.deepEqual(seen, [['[foreign]', 'x']]);
});

test('options are validated at install, with stable codes', () => {
  assert.throws(() => installConsole({ format: 'xml' }), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => installConsole({ stream: {} }), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => installConsole({ colour: true }), { code: 'ERR_MELLEA_UNKNOWN_OPTION' });
  assert.throws(() => installConsole({ redact: { session_id: true } }), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.equal(typeof console.log, 'function');
  assert.equal(console.log.name, 'log');
});

// Last in this file: the fields it defines exist process-wide from here on.
test('a field named like a record key cannot be defined, so no key is written twice', () => {
  // API revision (issue 8): defineField refuses the keys logging writes itself.
  for (const name of ['level', 'message', 'timestamp', 'exception', 'time', 'msg', 'pid', 'hostname']) {
    assert.throws(() => defineField(name, { type: 'string' }), { code: 'ERR_MELLEA_FIELD_DEFINITION' });
  }
  const sink = withConsole({}, () => withContext(FULL, () => console.warn('text')));
  const line = sink.lines[0];
  assert.deepEqual(duplicateKeys(line), []);
  const record = JSON.parse(line);
  assert.equal(record.level, 'WARNING');
  assert.equal(record.message, 'text');
  assert.deepEqual(contextOf(record), FULL);
});

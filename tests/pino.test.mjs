import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import pino from 'pino';
import { withContext, defineField, getCurrentContext, bind } from 'mellea-context';
import { pinoOptions, pinoMixin, createPinoMixin } from 'mellea-context/pino';
import { lineSink, duplicateKeys, contextOf } from './helpers/lines.mjs';

const FULL = { session_id: 's-1', request_id: 'r-1', model_id: 'granite', sampling_iteration: 2 };
const sha16 = (text) => createHash('sha256').update(text).digest('hex').slice(0, 16);

// Both integrations must write the same fields; each test runs on both.
const VARIANTS = {
  pinoOptions: (sink, options) => pino({ ...pinoOptions(options) }, sink),
  pinoMixin: (sink, options) => pino({ mixin: options ? createPinoMixin(options) : pinoMixin }, sink),
};

function lastRecord(sink) {
  const lines = sink.lines;
  const line = lines[lines.length - 1];
  assert.deepEqual(duplicateKeys(line), [], `duplicate keys in ${line}`);
  return JSON.parse(line);
}

for (const [name, make] of Object.entries(VARIANTS)) {
  test(`${name}: fields inside a scope, none outside`, async () => {
    const sink = lineSink();
    const log = make(sink);
    log.info('before');
    await withContext(FULL, async () => {
      log.info('inside');
      assert.deepEqual(contextOf(lastRecord(sink)), FULL);
      await new Promise((resolve) => setTimeout(resolve, 1));
      log.info('after await');
      assert.deepEqual(contextOf(lastRecord(sink)), FULL);
    });
    log.info('after');
    const records = sink.records;
    assert.deepEqual(contextOf(records[0]), {});
    assert.deepEqual(contextOf(records.at(-1)), {});
    assert.equal(records[1].msg, 'inside');
  });

  test(`${name}: the log call's own fields win, once`, () => {
    const sink = lineSink();
    const log = make(sink);
    withContext(FULL, () => {
      log.info({ session_id: 'mine', extra: 1 }, 'explicit');
      const record = lastRecord(sink);
      assert.equal(record.session_id, 'mine');
      assert.equal(record.request_id, 'r-1');
      assert.equal(record.extra, 1);
      // The next line is not affected (pinoMixin: pino's merge must not
      // have written into a shared object).
      log.info('plain');
      assert.equal(lastRecord(sink).session_id, 's-1');
      assert.deepEqual(getCurrentContext(), FULL);
    });
  });

  test(`${name}: child bindings win, once; the call's fields win over both`, () => {
    const sink = lineSink();
    const log = make(sink);
    withContext(FULL, () => {
      const child = log.child({ request_id: 'bound' });
      child.info('child');
      let record = lastRecord(sink);
      assert.equal(record.request_id, 'bound');
      assert.equal(record.session_id, 's-1');
      // (A call field that is also a child binding is written twice by pino
      // itself, context or not: not ours to test.)
      child.info({ model_id: 'own' }, 'both');
      record = lastRecord(sink);
      assert.equal(record.model_id, 'own');
      assert.equal(record.request_id, 'bound');
      assert.equal(record.sampling_iteration, 2);
      const grandchild = child.child({ session_id: 'gc' });
      grandchild.info('grandchild');
      record = lastRecord(sink);
      assert.deepEqual(contextOf(record), { ...FULL, session_id: 'gc', request_id: 'bound' });
      // The parent logger is unaffected by its child's bindings.
      log.info('parent');
      assert.deepEqual(contextOf(lastRecord(sink)), FULL);
    });
  });

  test(`${name}: a child logger per request (pino-http's way) from a logger that never logs itself`, () => {
    const sink = lineSink();
    const log = make(sink);
    const REQ = { id: 7, method: 'GET', url: '/x', headers: { host: 'h' } };
    withContext(FULL, () => {
      for (let i = 0; i < 3; i++) log.child({ req: REQ }).info('request completed');
      // A field's name inside a binding's value is no key of the line.
      log.child({ req: { ...REQ, headers: { session_id: 'a header, not a field' } } }).info('nested name');
      for (const line of sink.lines) assert.deepEqual(duplicateKeys(line), [], line);
      for (const record of sink.records) assert.deepEqual(contextOf(record), FULL);
      assert.equal(lastRecord(sink).req.headers.session_id, 'a header, not a field');
      // Children whose own options change what is written are read whole.
      log.child({ req: REQ }, { redact: ['session_id'] }).info('redacted');
      assert.equal(lastRecord(sink).session_id, '[Redacted]');
      let seen;
      log.child({ req: REQ }, { formatters: { log: (object) => ((seen = { ...object }), object) } }).info('formatted');
      assert.equal(lastRecord(sink).model_id, 'granite');
      assert.equal(seen.model_id, 'granite');
      // A grandchild binding a field, under a child that did not.
      log.child({ req: REQ }).child({ model_id: 'bound' }).info('grandchild');
      assert.deepEqual(contextOf(lastRecord(sink)), { ...FULL, model_id: 'bound' });
      // The logger itself, after its children.
      log.info('itself');
      assert.deepEqual(contextOf(lastRecord(sink)), FULL);
    });
  });

  test(`${name}: nested scopes and sampling iterations show the inner values`, async () => {
    const sink = lineSink();
    const log = make(sink);
    await withContext({ sessionId: 'outer', requestId: 'r' }, async () => {
      for (let i = 0; i < 3; i++) {
        await withContext({ samplingIteration: i, model_id: `m${i}` }, async () => {
          await null;
          log.info('attempt');
          assert.deepEqual(contextOf(lastRecord(sink)), { session_id: 'outer', request_id: 'r', model_id: `m${i}`, sampling_iteration: i });
        });
      }
      await withContext({ session_id: null }, () => {
        log.info('unset');
        assert.deepEqual(contextOf(lastRecord(sink)), { request_id: 'r' });
      });
      log.info('outer again');
      assert.deepEqual(contextOf(lastRecord(sink)), { session_id: 'outer', request_id: 'r' });
    });
  });

  test(`${name}: redaction hashes (SHA-256, 16 hex) or omits`, () => {
    const sink = lineSink();
    const log = make(sink, { redact: { session_id: 'hash', modelId: 'omit' } });
    withContext(FULL, () => {
      log.info('redacted');
      const record = lastRecord(sink);
      assert.equal(record.session_id, sha16('s-1'));
      assert.equal('model_id' in record, false);
      assert.equal(record.request_id, 'r-1');
      assert.equal(sink.lines.at(-1).includes('s-1'), false);
      log.child({ request_id: 'bound' }).info('child');
      assert.equal(lastRecord(sink).session_id, sha16('s-1'));
    });
    withContext({ sessionId: 's-2' }, () => {
      log.info('other session');
      assert.equal(lastRecord(sink).session_id, sha16('s-2'));
    });
  });
}

test('defined fields appear like built-ins', () => {
  defineField('tenant_id', { type: 'string' });
  defineField('cached', { type: 'boolean' });
  for (const make of Object.values(VARIANTS)) {
    const sink = lineSink();
    const log = make(sink);
    withContext({ tenantId: 'acme', cached: false, sessionId: 's' }, () => {
      log.info('defined');
      const record = lastRecord(sink);
      assert.equal(record.tenant_id, 'acme');
      assert.equal(record.cached, false);
      log.info({ tenant_id: 'own' }, 'own wins');
      assert.equal(lastRecord(sink).tenant_id, 'own');
      log.child({ cached: true }).info('child wins');
      assert.equal(lastRecord(sink).cached, true);
    });
  }
});

test('pinoOptions composes the user timestamp, mixin and streamWrite hook', () => {
  const sink = lineSink();
  const seen = [];
  const log = pino(
    {
      ...pinoOptions({
        timestamp: pino.stdTimeFunctions.isoTime,
        mixin: () => ({ from_mixin: 1, model_id: 'from-mixin' }),
        hooks: { streamWrite: (line) => (seen.push(line), line) },
      }),
    },
    sink,
  );
  withContext(FULL, () => log.info('composed'));
  const line = sink.lines[0];
  assert.deepEqual(duplicateKeys(line), []);
  const record = JSON.parse(line);
  assert.match(record.time, /^\d{4}-\d\d-\d\dT/);
  assert.equal(record.from_mixin, 1);
  assert.equal(record.model_id, 'from-mixin');
  assert.equal(record.session_id, 's-1');
  assert.equal(seen.length, 1);

  const noTime = pino({ ...pinoOptions({ timestamp: false }) }, sink);
  withContext(FULL, () => noTime.info('no time'));
  const last = JSON.parse(sink.lines.at(-1));
  assert.equal('time' in last, false);
  assert.deepEqual(contextOf(last), FULL);
});

test('pino features around the hooks keep working: levels, errors, serializers', () => {
  const sink = lineSink();
  const log = pino({ ...pinoOptions(), level: 'warn', serializers: { user: (u) => u.name } }, sink);
  withContext(FULL, () => {
    log.info('dropped');
    log.warn({ user: { name: 'ann' } }, 'kept');
    log.error(new Error('boom'));
  });
  const records = sink.records;
  assert.equal(records.length, 2);
  assert.equal(records[0].user, 'ann');
  assert.equal(records[1].err.message, 'boom');
  assert.equal(records[1].msg, 'boom');
  for (const [i, line] of sink.lines.entries()) {
    assert.deepEqual(duplicateKeys(line), []);
    assert.deepEqual(contextOf(records[i]), FULL);
  }
});

test('bad content in messages and explicit fields still gives one JSON line each', () => {
  const sink = lineSink();
  const log = pino({ ...pinoOptions() }, sink);
  const nasty = ['a\r\nb', 'nul\u0000', '\u001b[2J\u001b[H', 'lone \ud800 surrogate', 'x'.repeat(1 << 20)];
  withContext(FULL, () => {
    for (const text of nasty) log.info({ detail: text }, text);
  });
  assert.equal(sink.lines.length, nasty.length);
  assert.equal(sink.partial, '');
  for (const record of sink.records) assert.deepEqual(contextOf(record), FULL);
});

test('options are validated when made, with stable codes', () => {
  assert.throws(() => pinoOptions({ nope: 1 }), { code: 'ERR_MELLEA_UNKNOWN_OPTION' });
  assert.throws(() => pinoOptions({ redact: { nope: 'hash' } }), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => pinoOptions({ redact: { session_id: 'scramble' } }), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => pinoOptions({ timestamp: 'iso' }), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => createPinoMixin({ redact: 'session_id' }), { code: 'ERR_MELLEA_INVALID_OPTION' });
});

test('setBindings on a logger in use: the new bindings win from the next line', () => {
  for (const make of Object.values(VARIANTS)) {
    const sink = lineSink();
    const log = make(sink).child({ component: 'x' });
    withContext(FULL, () => {
      log.info('before');
      log.setBindings({ model_id: 'rebound' });
      log.info('after');
    });
    const [before, after] = sink.lines;
    assert.deepEqual(duplicateKeys(after), []);
    assert.equal(JSON.parse(before).model_id, 'granite');
    assert.equal(JSON.parse(after).model_id, 'rebound');
    assert.equal(JSON.parse(after).session_id, 's-1');
  }
});

// ---- Issue 9, finding 7: the pino traps. Each runs on both integrations
// where it applies; every line must be one JSON object without a repeated key.

function recordsOf(sink) {
  for (const line of sink.lines) assert.deepEqual(duplicateKeys(line), [], `duplicate keys in ${line}`);
  return sink.records;
}

test('trap: a timestamp given after the spread keeps the fields (and the user time)', () => {
  const sink = lineSink();
  const log = pino({ ...pinoOptions(), timestamp: pino.stdTimeFunctions.isoTime }, sink);
  withContext(FULL, () => {
    log.info('overridden');
    log.info({ session_id: 'mine' }, 'own key');
    log.child({ model_id: 'bound' }).info('child');
  });
  const [plain, own, child] = recordsOf(sink);
  assert.match(plain.time, /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual(contextOf(plain), FULL);
  assert.equal(own.session_id, 'mine');
  assert.equal(own.request_id, 'r-1');
  assert.equal(child.model_id, 'bound');
  assert.equal(child.session_id, 's-1');
  // Composing through pinoOptions is the same output.
  const composed = lineSink();
  withContext(FULL, () => pino({ ...pinoOptions({ timestamp: pino.stdTimeFunctions.isoTime }) }, composed).info('composed'));
  assert.deepEqual(contextOf(recordsOf(composed)[0]), FULL);
});

for (const [name, make] of Object.entries({
  pinoOptions: (sink, extra) => pino({ ...pinoOptions(), ...extra }, sink),
  pinoMixin: (sink, extra) => pino({ mixin: pinoMixin, ...extra }, sink),
})) {
  test(`trap (${name}): pino's own redact covers the context's fields`, () => {
    const sink = lineSink();
    withContext(FULL, () => {
      make(sink, { redact: ['session_id'] }).info('array form');
      make(sink, { redact: { paths: ['session_id', 'model_id'], censor: '[x]' } }).info('object form');
      make(sink, { redact: { paths: ['request_id'], remove: true } }).info('removed');
      make(sink, { redact: ['session_id'] }).info({ session_id: 'own' }, 'own key too');
      make(sink, { redact: ['session_id'] }).child({ model_id: 'm' }).info('child');
    });
    const [array, object, removed, own, child] = recordsOf(sink);
    assert.equal(array.session_id, '[Redacted]');
    assert.equal(array.request_id, 'r-1');
    assert.equal(object.session_id, '[x]');
    assert.equal(object.model_id, '[x]');
    assert.equal('request_id' in removed, false);
    assert.equal(removed.session_id, 's-1');
    assert.equal(own.session_id, '[Redacted]');
    assert.equal(child.session_id, '[Redacted]');
    assert.equal(child.model_id, 'm');
    for (const line of sink.lines) assert.doesNotMatch(line, /"s-1".*Redacted|"session_id":"s-1".*"session_id"/);
  });

  test(`trap (${name}): with nestedKey the fields go where pino's mixin puts them, same for both`, () => {
    const sink = lineSink();
    withContext(FULL, () => {
      const log = make(sink, { nestedKey: 'payload' });
      log.info('no object');
      log.info({ a: 1 }, 'with object');
      log.info({ session_id: 'own' }, 'own key');
    });
    const [bare, withObject, own] = recordsOf(sink);
    // Decided: under nestedKey, as pino itself places a mixin's keys.
    for (const record of [bare, withObject]) {
      assert.deepEqual(contextOf(record.payload), FULL, JSON.stringify(record));
      assert.deepEqual(contextOf(record), {});
    }
    assert.equal(withObject.payload.a, 1);
    assert.equal(own.payload.session_id, 'own');
  });

  test(`trap (${name}): multistream's lastTime stays the time alone`, () => {
    const seen = [];
    const reader = { [Symbol.for('pino.metadata')]: true, write: (line) => seen.push({ line, lastTime: reader.lastTime }) };
    const sink = lineSink();
    withContext(FULL, () => {
      const log = make(pino.multistream([{ stream: reader }, { stream: sink }]));
      log.info('through multistream');
    });
    assert.equal(seen.length, 1);
    assert.match(String(seen[0].lastTime), /^\d+$/);
    assert.deepEqual(contextOf(JSON.parse(seen[0].line)), FULL);
    assert.deepEqual(contextOf(recordsOf(sink)[0]), FULL);
  });

  test(`trap (${name}): a field named like a logger key never writes the key twice`, () => {
    defineField('event', { type: 'string' });
    defineField('severity', { type: 'string' });
    defineField('ts', { type: 'string' });
    const sink = lineSink();
    withContext({ ...FULL, event: 'ctx-event', severity: 'ctx-sev', ts: 'ctx-ts' }, () => {
      const log = make(sink, {
        messageKey: 'event',
        formatters: { level: (label) => ({ severity: label }) },
        timestamp: () => `,"ts":${Date.now()}`,
      });
      log.info('the message');
      log.info({ other: 1 });
    });
    const [withMessage, withoutMessage] = recordsOf(sink);
    assert.equal(withMessage.event, 'the message');
    assert.equal(withMessage.severity, 'info');
    assert.equal(typeof withMessage.ts, 'number');
    assert.equal(withMessage.session_id, 's-1');
    // The logger's keys win even on a line that does not write them.
    assert.equal(withoutMessage.severity, 'info');
    assert.equal(withoutMessage.session_id, 's-1');
  });
}

test('trap: logger keys also win on the fast path (timestamp composed through pinoOptions)', () => {
  defineField('event', { type: 'string' });
  defineField('severity', { type: 'string' });
  defineField('ts', { type: 'string' });
  const sink = lineSink();
  withContext({ ...FULL, event: 'ctx-event', severity: 'ctx-sev', ts: 'ctx-ts' }, () => {
    const log = pino(
      {
        ...pinoOptions({ timestamp: () => `,"ts":${Date.now()}` }),
        messageKey: 'event',
        formatters: { level: (label) => ({ severity: label }) },
        base: { pid: 1, hostname: 'h' },
      },
      sink,
    );
    log.info('the message');
    log.child({ model_id: 'bound' }).info({ session_id: 'own' });
  });
  const [first, second] = recordsOf(sink);
  assert.equal(first.event, 'the message');
  assert.equal(first.severity, 'info');
  assert.equal(typeof first.ts, 'number');
  assert.deepEqual(contextOf(first), FULL);
  assert.equal(second.severity, 'info');
  assert.equal(second.model_id, 'bound');
  assert.equal(second.session_id, 'own');
  assert.equal(second.request_id, 'r-1');
});

test('trap: a mixin or hooks given after the spread is reported once, with a code', async () => {
  const warnings = [];
  const onWarning = (warning) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    const sink = lineSink();
    const log = pino({ ...pinoOptions(), mixin: () => ({ mine: 1 }) }, sink);
    withContext(FULL, () => {
      log.info('one');
      log.info('two');
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(contextOf(recordsOf(sink)[0]), FULL);
    assert.equal(warnings.filter((w) => w.code === 'MELLEA_PINO_OVERRIDDEN').length, 1);
    // Composed through pinoOptions: no warning.
    warnings.length = 0;
    const fine = pino({ ...pinoOptions({ mixin: () => ({ mine: 1 }) }) }, lineSink());
    withContext(FULL, () => fine.info('ok'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings.filter((w) => w.code === 'MELLEA_PINO_OVERRIDDEN'), []);
  } finally {
    process.off('warning', onWarning);
  }
});

test('pinoOptions: a millisecond turning between hooks never leaves a key twice (found by the README test)', () => {
  // The first line of a new logger reads the clock, then its profile reads
  // it again: with the millisecond changing in between, a second line in
  // that new millisecond once reused the first line's time text.
  const realNow = Date.now;
  const sink = lineSink();
  const log = pino({ ...pinoOptions() }, sink);
  const ticks = [1000, 1001];
  Date.now = () => (ticks.length > 0 ? ticks.shift() : 1001);
  try {
    withContext(FULL, () => {
      log.info('first');
      log.info({ model_id: 'own' }, 'second');
    });
    const [, second] = recordsOf(sink);
    assert.equal(second.model_id, 'own');
    assert.equal(second.session_id, 's-1');
  } finally {
    Date.now = realNow;
  }
});

test('pinoMixin: a merge strategy that writes into the mixin result never leaks into the next line', () => {
  const sink = lineSink();
  let n = 0;
  const log = pino({ mixin: pinoMixin, mixinMergeStrategy: (obj, mixed) => Object.assign(mixed, obj, { [`k${n++}`]: true }) }, sink);
  withContext(FULL, () => {
    log.info('one');
    log.info('two');
    log.info({ a: 1 }, 'three');
    log.info('four');
  });
  const records = recordsOf(sink);
  assert.deepEqual(records.map((r) => Object.keys(r).filter((k) => /^k\d$/.test(k))), [['k0'], ['k1'], ['k2'], ['k3']]);
  assert.equal(records[3].a, undefined);
  for (const record of records) assert.deepEqual(contextOf(record), FULL);
});

test('pinoMixin fast path: bindings(), child() and setBindings() never see the context', () => {
  const sink = lineSink();
  const log = pino({ mixin: pinoMixin, base: { svc: 1 } }, sink);
  let child;
  withContext(FULL, () => {
    log.info('in scope');
    assert.deepEqual(log.bindings(), { svc: 1 });
    child = log.child({ component: 'c' });
    assert.deepEqual(child.bindings(), { svc: 1, component: 'c' });
    child.info('child in scope');
  });
  withContext({ session_id: 's-2' }, () => child.info('child in another scope'));
  child.info('child outside');
  log.setBindings({ zone: 2 });
  log.info('outside');
  const records = recordsOf(sink);
  assert.deepEqual(records.map((r) => r.session_id), ['s-1', 's-1', 's-2', undefined, undefined]);
  assert.equal(records[1].component, 'c');
  assert.equal(records[2].request_id, undefined);
  assert.equal(records[4].zone, 2);
  assert.deepEqual(log.bindings(), { svc: 1, zone: 2 });
});

test('pinoMixin fast path: a line abandoned by a throwing merge strategy leaks nothing into the next', () => {
  const sink = lineSink();
  let fail = true;
  const log = pino({ mixin: pinoMixin, base: null, mixinMergeStrategy: (obj, mixed) => {
    if (fail) throw new Error('merge failed');
    return Object.assign(mixed, obj);
  } }, sink);
  withContext(FULL, () => assert.throws(() => log.info('abandoned'), /merge failed/));
  fail = false;
  const child = log.child({ made: 'after' });
  assert.deepEqual(child.bindings(), { made: 'after' });
  child.info('outside');
  withContext({ session_id: 's-3' }, () => log.info('other scope'));
  const [outside, other] = recordsOf(sink);
  assert.deepEqual(contextOf(outside), {});
  assert.deepEqual(contextOf(other), { session_id: 's-3' });
});

test('both integrations on one logger still write each field once', () => {
  const sink = lineSink();
  const onWarning = () => {};
  process.on('warning', onWarning);
  try {
    const log = pino({ ...pinoOptions(), mixin: pinoMixin }, sink);
    withContext(FULL, () => log.info('both'));
    assert.deepEqual(contextOf(recordsOf(sink)[0]), FULL);
  } finally {
    process.off('warning', onWarning);
  }
});

test('pinoOptions: lines alternating in and out of a scope, within one millisecond, each right', () => {
  const sink = lineSink();
  const log = pino({ ...pinoOptions() }, sink);
  const realNow = Date.now;
  Date.now = () => 5000;
  try {
    const inScope = withContext(FULL, () => bind((fn) => fn()));
    for (let i = 0; i < 3; i++) {
      inScope(() => log.info('in'));
      log.info('out');
      inScope(() => log.info({ session_id: 'own' }, 'own'));
      log.child({ model_id: 'b' }).info('out child');
      inScope(() => log.info('in again'));
    }
  } finally {
    Date.now = realNow;
  }
  const records = recordsOf(sink);
  for (let i = 0; i < records.length; i += 5) {
    assert.deepEqual(contextOf(records[i]), FULL);
    assert.deepEqual(contextOf(records[i + 1]), {});
    assert.deepEqual(contextOf(records[i + 2]), { ...FULL, session_id: 'own' });
    assert.deepEqual(contextOf(records[i + 3]), { model_id: 'b' });
    assert.deepEqual(contextOf(records[i + 4]), FULL);
  }
});

test("the pino state the integrations adjust is under pino's exported pino.symbols", async () => {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const { chindingsSymbol, hooksOf } = require('../dist/cjs/logging/pino-logger.js');
  const sink = lineSink();
  const logger = pino({ mixin: pinoMixin }, sink);
  withContext(FULL, () => logger.info('m'));
  assert.deepEqual(contextOf(lastRecord(sink)), FULL);
  assert.equal(chindingsSymbol(logger), pino.symbols.chindingsSym);
  assert.equal(hooksOf(logger).mixin, logger[pino.symbols.mixinSym]);
});

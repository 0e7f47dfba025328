// Issue 8's stress, as a module run in a child process by
// tests/hostile-input.test.mjs (it changes process-wide settings and, when
// the core breaks, must not take the test runner with it): every family of
// bad input, then 10,000 valid scopes that must all come out right, with the
// wasm heap back under the budget at the end.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import pino from 'pino';
import {
  bind,
  configure,
  defineField,
  enterContext,
  generateRequestId,
  getCurrentContext,
  getField,
  getModelId,
  getRequestId,
  getSamplingIteration,
  getSessionId,
  storeStats,
  withContext,
} from 'mellea-context';
import { createRecordFormatter, formatRecord } from 'mellea-context/console';
import { extractHeaders, injectHeaders } from 'mellea-context/http';
import { pinoOptions } from 'mellea-context/pino';
import { HEAP_BUDGET, MiB, V4_ID, healthProbe } from './health.mjs';
import { lineSink } from './lines.mjs';
import { CLEAR } from './outbound.mjs';

const log = (...args) => process.stderr.write(`[stress] ${args.join(' ')}\n`);
const heap = () => storeStats().wasmHeapBytes;

/** `call` must throw a TypeError whose code is `code` (or matches it, a RegExp); nothing may run. */
function refused(what, call, code = 'ERR_MELLEA_INVALID_VALUE') {
  let error;
  try {
    call();
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `${what}: accepted`);
  assert.ok(error instanceof TypeError, `${what}: ${error?.name}: ${error?.message}`);
  if (code instanceof RegExp) assert.match(String(error.code), code, `${what}: code ${error.code}: ${error.message}`);
  else assert.equal(error.code, code, `${what}: code ${error.code}: ${error.message}`);
  assert.deepEqual(getCurrentContext(), {}, `${what}: the refused call changed the scope`);
}

const notRun = () => assert.fail('fn ran for refused input');

/** A line from the record builder must be one valid JSON object with the current fields. */
function sound(what, line, fields) {
  assert.equal(typeof line, 'string', what);
  assert.ok(!line.includes('\n'), `${what}: a newline in the line`);
  const parsed = JSON.parse(line);
  for (const [key, value] of Object.entries(fields)) assert.equal(parsed[key], value, `${what}: ${key}`);
  return parsed;
}

function badValues() {
  const families = {
    '1 MB ASCII': 'x'.repeat(MiB),
    '1 MB non-ASCII': 'é'.repeat(MiB / 2),
    '1 MB of quotes': '"'.repeat(MiB),
    '100 MB ASCII': 'x'.repeat(100e6),
    '100 MB non-ASCII': 'ś'.repeat(50e6),
    '257 bytes': 'é'.repeat(128) + 'x',
    'control character': 'a\nb',
    'lone surrogate': 'a\uD800b',
    'U+2028': 'a\u2028b',
    'U+202E': 'user\u202Enimda',
    empty: '',
  };
  const before = heap();
  for (const [name, value] of Object.entries(families)) {
    refused(`withContext session_id ${name}`, () => withContext({ session_id: value }, notRun));
    refused(`withContext string ${name}`, () => withContext(value, notRun));
    refused(`enterContext modelId ${name}`, () => enterContext({ modelId: value }));
    refused(`withContext tenant ${name}`, () => withContext({ tenant: value, session_id: 'ok' }, notRun));
  }
  for (const value of [1.5, -1, 2 ** 31, NaN, Infinity, '3', 10n, true, {}, Symbol('s')]) {
    refused(`sampling_iteration ${String(value)}`, () => withContext({ sampling_iteration: value }, notRun));
  }
  for (const value of [1, true, {}, [], 10n, Symbol('s'), () => {}]) {
    refused(`session_id ${typeof value}`, () => withContext({ session_id: value }, notRun));
  }
  const unknown = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`unknown_${i}`, 'x']));
  refused('1,000 unknown fields', () => withContext(unknown, notRun), 'ERR_MELLEA_UNKNOWN_FIELD');
  refused('both spellings', () => withContext({ session_id: 'a', sessionId: 'b' }, notRun), /^ERR_MELLEA_/);
  refused('getField of a 1 MB name', () => getField('x'.repeat(MiB)), 'ERR_MELLEA_UNKNOWN_FIELD');
  assert.equal(heap(), before, `refused values grew the wasm heap from ${before} to ${heap()}`);
  log('bad values refused; heap', heap());
}

function badSettings() {
  for (const value of [0, -1, 65537, 1.5, '256', 2 ** 53, NaN]) {
    refused(`configure maxValueBytes ${String(value)}`, () => configure({ maxValueBytes: value }), /^ERR_MELLEA_INVALID_OPTION$|^ERR_INVALID_ARG_TYPE$/);
  }
  refused('configure unknown option', () => configure({ maxValueByte: 10 }), 'ERR_MELLEA_UNKNOWN_OPTION');
  refused('configure half-valid', () => configure({ maxValueBytes: 512, bogus: 1 }), 'ERR_MELLEA_UNKNOWN_OPTION');
  // Nothing applied from the half-valid call: 257 bytes still refused.
  refused('limit after a refused configure', () => withContext({ session_id: 'x'.repeat(257) }, notRun));
  for (const name of ['x'.repeat(100e6), 'x'.repeat(MiB), 'Bad', '1a', 'a-b', 'session_id', '', 'é', 'a'.repeat(65)]) {
    refused(`defineField ${name.slice(0, 12)} (${name.length})`, () => defineField(name, { type: 'string' }), 'ERR_MELLEA_FIELD_DEFINITION');
  }
  refused('defineField bad type', () => defineField('good_name', { type: 'float' }), 'ERR_MELLEA_FIELD_DEFINITION');
  refused('defineField tenant as integer', () => defineField('tenant', { type: 'integer' }), 'ERR_MELLEA_FIELD_DEFINITION');
  refused('redact bad mode', () => createRecordFormatter({ redact: { session_id: 'rot13' } }), /^ERR_/);
  refused('redact unknown field', () => createRecordFormatter({ redact: { nope: 'omit' } }), /^ERR_/);
  log('bad settings refused; heap', heap());
}

function badRecords() {
  const fields = { session_id: 'rec-ś', model_id: 'm"1' };
  withContext(fields, () => {
    const huge = 'é'.repeat(50e6);
    const cases = {
      '100 MB message': { message: 'x'.repeat(100e6) },
      '50 M char non-ASCII message': { message: huge },
      '32 MiB exception': { message: 'm', exception: 'ś'.repeat(16 * MiB) },
      '50 MB caller field': { message: 'm', big: huge, small: 's' },
      '100,000 caller fields': Object.assign({ message: 'm' }, Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]))),
      'huge level and timestamp': { message: 'm', level: 'L'.repeat(MiB), timestamp: 'T'.repeat(MiB) },
      'cyclic caller field': (() => { const a = { message: 'm', small: 's' }; a.self = a; return a; })(),
      'throwing getter': { message: 'm', small: 's', get bad() { throw new Error('getter'); } },
      'BigInt caller field': { message: 'm', small: 's', n: 10n },
      'error with a huge stack': { message: 'm', error: Object.assign(new Error('e'), { stack: 'S'.repeat(40e6) }) },
    };
    for (const [name, record] of Object.entries(cases)) {
      const started = performance.now();
      let line;
      try {
        line = formatRecord(record);
      } catch (error) {
        assert.fail(`${name}: formatRecord threw (it never throws for content): ${error}`);
      }
      const parsed = sound(name, line, fields);
      if ('small' in record && name !== 'throwing getter') assert.equal(parsed.small, 's', `${name}: the other caller fields were dropped`);
      assert.ok(heap() <= HEAP_BUDGET, `${name}: wasm heap ${heap()} over the budget ${HEAP_BUDGET}`);
      log(name, `${Math.round(performance.now() - started)} ms, line ${line.length} chars, heap ${heap()}`);
    }
    const redactedLine = createRecordFormatter({ redact: { session_id: 'hash' } })({ message: 'x'.repeat(100e6), extra: huge });
    assert.match(JSON.parse(redactedLine).session_id, /^[0-9a-f]{16}$/);
  });
  log('bad records handled; heap', heap());
}

function badBaggage() {
  const before = heap();
  withContext({ session_id: 'bag' }, () => {
    const headersList = [
      { baggage: `mellea.session_id=${'x'.repeat(MiB)}` },
      { baggage: `mellea.model_id=good,${'k=v,'.repeat(250_000)}` },
      { baggage: 'x'.repeat(100e6) },
      { baggage: '%'.repeat(MiB) },
      { baggage: `mellea.session_id=${'%E2%80%A8'.repeat(1000)}` },
      { baggage: ['mellea.model_id=good', 'mellea.session_id=%FF%FE'] },
    ];
    for (const headers of headersList) {
      const fields = extractHeaders(headers);
      assert.equal(typeof fields, 'object');
      assert.equal(fields.session_id, undefined, 'a bad session_id came through extractHeaders');
      // Inject into headers that already carry the same huge/bad baggage:
      // never throws (the spec caps what is written at 64 members / 8192 bytes).
      const out = injectHeaders({ ...headers }, CLEAR);
      assert.equal(typeof out.baggage === 'string' || Array.isArray(out.baggage), true);
    }
  });
  assert.ok(heap() <= Math.max(before, HEAP_BUDGET), `baggage grew the heap to ${heap()}`);
  log('bad baggage handled; heap', heap());
}

function raisedLimitAndManyFields() {
  configure({ maxValueBytes: 65536 });
  const big = 'é'.repeat(32768); // exactly 65,536 bytes
  withContext({ session_id: big }, () => assert.equal(getSessionId(), big));
  refused('65,537 bytes', () => withContext({ session_id: `${big}x` }, notRun));
  const held = [];
  for (let i = 0; i < 4200; i++) {
    withContext({ session_id: big, model_id: big, request_id: `big-${i}` }, () => {
      sound(`big scope ${i}`, formatRecord({ message: 'big', i }), { request_id: `big-${i}` });
      if (i % 10 === 0) held.push([i, bind(() => getRequestId())]);
    });
    if (i % 700 === 0) assert.ok(heap() <= HEAP_BUDGET, `heap ${heap()} after ${i} scopes of 128 KiB`);
  }
  // A 1,000-field schema: defining may be refused past a documented limit, with the right code.
  let defined = 0;
  for (let i = 0; i < 1000; i++) {
    try {
      defineField(`f_${i}`, { type: i % 3 === 0 ? 'integer' : i % 3 === 1 ? 'boolean' : 'string' });
      defined++;
    } catch (error) {
      assert.equal(error.code, 'ERR_MELLEA_FIELD_DEFINITION', `defineField f_${i}: ${error.message}`);
    }
  }
  log('defined', defined, 'of 1,000 fields');
  const all = {};
  for (let i = 0; i < defined; i++) all[`f_${i}`] = i % 3 === 0 ? i : i % 3 === 1 ? i % 2 === 0 : `v${i}-${big.slice(0, 100)}`;
  try {
    withContext(all, () => {
      const parsed = sound('all defined fields', formatRecord({ message: 'all', k: 1 }), {});
      for (const [key, value] of Object.entries(all)) assert.deepEqual(parsed[key], value, key);
    });
  } catch (error) {
    assert.match(String(error.code), /^ERR_MELLEA_/, `all defined fields: ${error.message}`);
  }
  assert.ok(heap() <= HEAP_BUDGET, `heap ${heap()} after the 1,000-field scope`);
  return { held, defined };
}

function hash16(value) {
  return createHash('sha256').update(String(value)).digest('hex').slice(0, 16);
}

async function validScopes(defined, count) {
  const sink = lineSink();
  const logger = pino({ ...pinoOptions(), level: 'info' }, { write: (l) => sink.write(l) });
  const redactSink = lineSink();
  const redactLogger = pino({ ...pinoOptions({ redact: { session_id: 'hash', request_id: 'omit' } }) }, { write: (l) => redactSink.write(l) });
  const hashed = createRecordFormatter({ redact: { session_id: 'hash', model_id: 'omit' } });
  const big = 'ş'.repeat(30000);
  const one = async (i) => {
    const id = generateRequestId();
    assert.match(id, V4_ID);
    const fields = {
      session_id: `sessão-${i}-ś`,
      request_id: id,
      model_id: i % 100 === 0 ? big : `模型-${i % 17}`,
      sampling_iteration: i % 1000,
      tenant: `tenant-${i % 7}-é`,
    };
    if (defined > 0) fields[`f_${(i % defined)}`] = (i % defined) % 3 === 0 ? i : (i % defined) % 3 === 1 ? true : `dv-${i}`;
    await withContext(fields, async () => {
      if (i % 3 === 0) await null;
      if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      assert.equal(getSessionId(), fields.session_id);
      assert.equal(getRequestId(), id);
      assert.equal(getModelId(), fields.model_id);
      assert.equal(getSamplingIteration(), fields.sampling_iteration);
      assert.deepEqual({ ...getCurrentContext() }, fields);
      sound(`record ${i}`, formatRecord({ message: `línea ${i}`, i }), { ...fields, i });
      sound(`record ${i} without extra`, formatRecord({ message: `línea ${i}` }), fields);
      const redacted = sound(`redacted ${i}`, hashed({ message: 'r', exception: 'e' }), { request_id: id });
      assert.equal(redacted.session_id, hash16(fields.session_id));
      assert.equal(redacted.model_id, undefined);
      sink.clear();
      logger.info({ i }, 'pino');
      assert.deepEqual(Object.fromEntries(Object.keys(fields).map((k) => [k, sink.records[0][k]])), fields, `pino line ${i}`);
      redactSink.clear();
      redactLogger.info('pino-redacted');
      assert.equal(redactSink.records[0].session_id, hash16(fields.session_id));
      assert.equal(redactSink.records[0].request_id, undefined);
      const headers = injectHeaders({ baggage: `other=${i}` }, CLEAR);
      assert.match(headers.baggage, new RegExp(`(^|,)other=${i}(,|$)`));
      const back = extractHeaders(headers);
      assert.equal(back.session_id, fields.session_id);
      assert.equal(back.request_id, id);
      assert.equal(back.tenant, fields.tenant);
    });
  };
  // Batches of 100 concurrent scopes.
  for (let batch = 0; batch < count / 100; batch++) {
    await Promise.all(Array.from({ length: 100 }, (_, k) => one(batch * 100 + k)));
    if (batch % 20 === 0) log(`valid batch ${batch}: heap ${heap()}, liveScopes ${storeStats().liveScopes}`);
  }
}

export const PHASES = { badValues, badSettings, badRecords, badBaggage, raisedLimitAndManyFields };

/**
 * Runs the named bad-input phases (all by default) in order, then `validCount`
 * valid scopes; the heap must end under 8 MiB and the probe pass.
 */
export async function runStress({ phases = Object.keys(PHASES), validCount = 10_000 } = {}) {
  defineField('tenant', { type: 'string' });
  const started = performance.now();
  let held = [];
  let defined = 0;
  for (const name of phases) {
    const result = PHASES[name]();
    if (result) ({ held, defined } = result);
    log(name, 'done; heap', heap());
  }
  // The valid scopes include 60,000-byte values (every 100th model_id).
  configure({ maxValueBytes: 65536 });
  await validScopes(defined, validCount);
  for (const [i, read] of held) assert.equal(read(), `big-${i}`, `held scope ${i}`);
  const { wasmHeapBytes } = storeStats();
  log(`done in ${Math.round(performance.now() - started)} ms; heap ${wasmHeapBytes}`);
  assert.ok(wasmHeapBytes < 8 * MiB, `wasm heap ${wasmHeapBytes} bytes, not back under 8 MiB`);
  configure({ maxValueBytes: 256 });
  healthProbe({ label: 'after the stress' });
}

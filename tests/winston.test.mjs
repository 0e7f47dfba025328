import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import winston from 'winston';
import { withContext, defineField } from 'mellea-context';
import { winstonFormat } from 'mellea-context/winston';
import { lineSink, duplicateKeys, contextOf } from './helpers/lines.mjs';

const FULL = { session_id: 's-1', request_id: 'r-1', model_id: 'granite', sampling_iteration: 2 };
const sha16 = (text) => createHash('sha256').update(text).digest('hex').slice(0, 16);

function makeLogger(options) {
  const sink = lineSink();
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.combine(winstonFormat(options), winston.format.json()),
    transports: [new winston.transports.Stream({ stream: sink.stream })],
  });
  return { sink, logger };
}

// The Stream transport writes asynchronously.
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('fields inside a scope, none outside, across awaits', async () => {
  const { sink, logger } = makeLogger();
  logger.info('before');
  await withContext(FULL, async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    logger.warn('inside');
  });
  logger.info('after');
  await settle();
  const records = sink.records;
  assert.deepEqual(records.map((r) => contextOf(r)), [{}, FULL, {}]);
  for (const line of sink.lines) assert.deepEqual(duplicateKeys(line), []);
});

test("the info's own keys win: call metadata and child loggers", async () => {
  const { sink, logger } = makeLogger();
  withContext(FULL, () => {
    logger.info('own', { model_id: 'mine' });
    logger.child({ session_id: 'child' }).info('child');
  });
  await settle();
  const [own, child] = sink.records;
  assert.equal(own.model_id, 'mine');
  assert.equal(own.session_id, 's-1');
  assert.equal(child.session_id, 'child');
  assert.equal(child.request_id, 'r-1');
});

test('nested scopes, sampling iterations and defined fields', async () => {
  defineField('tenant_id', { type: 'string' });
  const { sink, logger } = makeLogger();
  await withContext({ sessionId: 'outer', tenantId: 'acme' }, async () => {
    for (let i = 0; i < 3; i++) {
      await withContext({ samplingIteration: i }, async () => {
        await null;
        logger.info('attempt');
      });
    }
  });
  await settle();
  assert.deepEqual(
    sink.records.map((r) => [r.session_id, r.tenant_id, r.sampling_iteration]),
    [0, 1, 2].map((i) => ['outer', 'acme', i]),
  );
});

test('redaction: hash and omit', async () => {
  const { sink, logger } = makeLogger({ redact: { session_id: 'hash', modelId: 'omit' } });
  withContext(FULL, () => logger.info('r'));
  await settle();
  const [record] = sink.records;
  assert.equal(record.session_id, sha16('s-1'));
  assert.equal('model_id' in record, false);
  assert.equal(record.request_id, 'r-1');
  assert.throws(() => winstonFormat({ redact: { session_id: 'blur' } }), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => winstonFormat({ level: 'x' }), { code: 'ERR_MELLEA_UNKNOWN_OPTION' });
});

test('bad content still gives one JSON line per call', async () => {
  const { sink, logger } = makeLogger();
  const texts = ['a\r\nb', 'nul\u0000', '\u001b[2J', 'lone \ud800', 'x'.repeat(1 << 20)];
  withContext(FULL, () => {
    for (const text of texts) logger.info(text, { detail: text });
  });
  await settle();
  assert.equal(sink.lines.length, texts.length);
  for (const record of sink.records) assert.deepEqual(contextOf(record), FULL);
});

test('a defined field named like a key winston writes itself: the logger key wins, written once', async () => {
  defineField('service', { type: 'string' });
  defineField('label', { type: 'string' });
  const sink = lineSink();
  const logger = winston.createLogger({
    defaultMeta: { service: 'api' },
    format: winston.format.combine(winston.format.label({ label: 'web', message: false }), winstonFormat(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream: sink.stream })],
  });
  withContext({ ...FULL, service: 'ctx-service', label: 'ctx-label' }, () => logger.info('hello'));
  await settle();
  const [line] = sink.lines;
  assert.deepEqual(duplicateKeys(line), []);
  const record = JSON.parse(line);
  assert.equal(record.service, 'api');
  assert.equal(record.label, 'web');
  assert.deepEqual(contextOf(record), FULL);
});

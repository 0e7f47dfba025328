// 1,000 concurrent simulated requests, each logging several lines across
// awaits through pino (both integrations), console and winston: every line
// must carry exactly the fields of the request that logged it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import winston from 'winston';
import { withContext } from 'mellea-context';
import { pinoOptions, pinoMixin } from 'mellea-context/pino';
import { installConsole } from 'mellea-context/console';
import { winstonFormat } from 'mellea-context/winston';
import { lineSink, duplicateKeys, contextOf } from './helpers/lines.mjs';

const REQUESTS = 1000;
const ITERATIONS = 3;

// Deterministic interleaving: each step waits in one of several ways.
let seed = 12345;
function random() {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
function pause() {
  const r = random();
  if (r < 0.3) return new Promise((resolve) => setTimeout(resolve, Math.floor(r * 10)));
  if (r < 0.5) return new Promise((resolve) => setImmediate(resolve));
  if (r < 0.7) return new Promise((resolve) => process.nextTick(resolve));
  return Promise.resolve();
}

function expectedFields(i, k) {
  const fields = { session_id: `s-${i % 37}`, request_id: `req-${i}`, model_id: `model-${i % 3}` };
  if (k !== undefined) fields.sampling_iteration = k;
  return fields;
}

test('1,000 concurrent requests: each line carries exactly its own request fields', async () => {
  const sinks = { options: lineSink(), mixin: lineSink(), console: lineSink(), winston: lineSink() };
  const fast = pino({ ...pinoOptions() }, sinks.options);
  const mixed = pino({ mixin: pinoMixin }, sinks.mixin);
  const wlog = winston.createLogger({
    format: winston.format.combine(winstonFormat(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream: sinks.winston.stream })],
  });
  const uninstall = installConsole({ stream: sinks.console });

  async function request(i) {
    const { session_id, request_id, model_id } = expectedFields(i);
    await withContext({ session_id, request_id, model_id }, async () => {
      await pause();
      fast.info(`${i}:-`);
      await pause();
      mixed.info(`${i}:-`);
      console.log(`${i}:-`);
      for (let k = 0; k < ITERATIONS; k++) {
        await withContext({ samplingIteration: k }, async () => {
          await pause();
          fast.child({ attempt: k }).info(`${i}:${k}`);
          await pause();
          wlog.info(`${i}:${k}`);
          // A child per iteration, as pino-http makes one per request: the
          // fields spliced into bindings text must stay per line.
          (k % 2 === 0 ? mixed : mixed.child({ attempt: k })).info(`${i}:${k}`);
          await pause();
          console.info(`${i}:${k}`);
        });
      }
      await pause();
      wlog.info(`${i}:-`);
    });
  }

  try {
    await Promise.all(Array.from({ length: REQUESTS }, (_, i) => request(i)));
  } finally {
    uninstall();
  }
  await new Promise((resolve) => setTimeout(resolve, 20)); // winston's stream is async

  const expectedLines = REQUESTS * (1 + ITERATIONS);
  for (const [name, sink] of Object.entries(sinks)) {
    const lines = sink.lines;
    assert.equal(lines.length, expectedLines, `${name}: line count`);
    const seen = new Set();
    for (const line of lines) {
      assert.deepEqual(duplicateKeys(line), [], `${name}: ${line}`);
      const record = JSON.parse(line);
      const label = record.msg ?? record.message;
      const [i, k] = label.split(':');
      const want = expectedFields(Number(i), k === '-' ? undefined : Number(k));
      assert.deepEqual(contextOf(record), want, `${name}: ${line}`);
      seen.add(label);
    }
    assert.equal(seen.size, expectedLines, `${name}: every request's every line`);
  }
});

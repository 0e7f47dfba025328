// mellea-context/bullmq against a real Redis (Debian's redis-server, started
// by the test): a job added inside withContext is processed by a worker in
// another Node process with the originating session and request id on its log
// lines and spans, while 200 jobs of other sessions run; hostile context on a
// job is dropped without failing the job; omit/hash are honoured.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import { withContext } from 'mellea-context';
import { JOB_CONTEXT_KEY, addWithContext, contextJobOptions, contextQueue, jobContext, withJobContext } from 'mellea-context/bullmq';
import { redisSkipReason, startRedis } from './helpers/redis.mjs';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const skip = redisSkipReason();

/** A worker process and the JSON lines it has written so far. */
function startWorker(port, queueName) {
  const child = spawn(process.execPath, [join(fixtures, 'bullmq-worker.mjs'), String(port), queueName], { stdio: ['ignore', 'pipe', 'inherit'] });
  const records = [];
  const waiters = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    records.push(JSON.parse(line));
    for (const waiter of waiters.slice()) waiter();
  });
  /** Resolves once predicate(records) holds; rejects after `ms`. */
  function until(predicate, what, ms = 60_000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(records)) return false;
        waiters.splice(waiters.indexOf(check), 1);
        clearTimeout(timer);
        resolve(records);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(check), 1);
        reject(new Error(`timed out waiting for ${what}; last lines:\n${records.slice(-5).map((r) => JSON.stringify(r)).join('\n')}`));
      }, ms);
      waiters.push(check);
      check();
    });
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    records,
    until,
    ready: until((r) => r.some((x) => x.ready), 'the worker to start'),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const linesOf = (records, jobId) => records.filter((r) => r.msg !== undefined && r.job === jobId);
const spanOf = (records, jobId) => records.find((r) => r.span === 'process' && r.job === jobId);
const doneCount = (records) => records.filter((r) => r.msg === 'job done').length;
// The worker's stdout and Redis' completion event race: wait for both lines.
async function finishedLines(worker, jobId) {
  await worker.until((r) => linesOf(r, jobId).length >= 2, `the log lines of job ${jobId}`);
  return linesOf(worker.records, jobId);
}

describe('mellea-context/bullmq with a real Redis and a worker process', { skip }, () => {
  let redis;
  let worker;
  let queue;
  let events;
  let queueName;

  before(async () => {
    redis = await startRedis();
    queueName = `mellea-${process.pid}`;
    worker = startWorker(redis.port, queueName);
    queue = new Queue(queueName, { connection: redis.connection() });
    events = new QueueEvents(queueName, { connection: redis.connection() });
    await Promise.all([worker.ready, queue.waitUntilReady(), events.waitUntilReady()]);
  });

  after(async () => {
    await worker?.stop();
    await events?.close();
    await queue?.close();
    await redis?.stop();
  });

  it('a job added in a request is processed in another process with its session and request id, among 200 jobs of other sessions', async () => {
    const producer = contextQueue(queue);
    const before = doneCount(worker.records);
    // 200 other sessions add jobs at the same time, with timers between awaits.
    const others = Array.from({ length: 200 }, (_, i) =>
      withContext({ sessionId: `s-other-${i}`, requestId: `r-other-${i}` }, async () => {
        await new Promise((resolve) => setTimeout(resolve, i % 7));
        return producer.add('other', { expect: { session_id: `s-other-${i}`, request_id: `r-other-${i}` }, wait: i % 5 });
      }),
    );
    const target = withContext({ sessionId: 's-origin', requestId: 'r-origin-1', modelId: 'granite-4.0' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 3));
      return producer.add('email', { expect: { session_id: 's-origin', request_id: 'r-origin-1', model_id: 'granite-4.0' }, wait: 4 });
    });
    const jobs = await Promise.all([...others, target]);
    const targetJob = await target;
    await worker.until((r) => doneCount(r) - before >= 201, '201 jobs to finish');
    // The producer's own scope ended with its withContext: nothing leaks here.
    assert.equal(jobs.length, 201);

    const lines = linesOf(worker.records, targetJob.id);
    assert.deepEqual(lines.map((l) => l.msg), ['job started', 'job done']);
    for (const line of lines) {
      assert.equal(line.session_id, 's-origin');
      assert.equal(line.request_id, 'r-origin-1');
      assert.equal(line.model_id, 'granite-4.0');
    }
    const span = spanOf(worker.records, targetJob.id);
    assert.equal(span.attributes['mellea.session_id'], 's-origin');
    assert.equal(span.attributes['mellea.request_id'], 'r-origin-1');
    assert.equal(span.attributes['session.id'], 's-origin');
    assert.equal(span.attributes['gen_ai.conversation.id'], undefined, 'not a model-call span');

    // Every other job's lines and span carry that job's own session, never another's.
    let checked = 0;
    for (const job of jobs) {
      for (const line of linesOf(worker.records, job.id)) {
        for (const [key, value] of Object.entries(line.expect)) assert.equal(line[key], value, `job ${job.id} line ${line.msg}: ${key}`);
        checked++;
      }
      assert.equal(spanOf(worker.records, job.id).attributes['mellea.session_id'], job.data.expect.session_id);
    }
    assert.equal(checked, 402);
  });

  it('hostile context on a job (oversized, control characters, unknown fields, wrong types, not an object) is dropped and the job still completes', async () => {
    const cases = {
      oversized: { carried: { session_id: 'big', model_id: 'x'.repeat(200), ...Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`f${i}`, 'y'.repeat(200)])) }, expect: {} },
      oversizedValues: { carried: { session_id: 'big', model_id: 'z'.repeat(9000) }, expect: {} },
      control: { carried: { session_id: 'evil\n{"level":60}', model_id: 'm-kept' }, expect: { model_id: 'm-kept' } },
      unknownFields: { carried: JSON.parse('{"is_admin":true,"__proto__":{"x":1},"sessionId":"alias-not-canonical","session_id":"s-kept"}'), expect: { session_id: 's-kept' } },
      notAnObject: { carried: 'mellea.session_id=text-carrier', expect: {} },
      wrongTypes: { carried: { session_id: ['s-array'], sampling_iteration: 'seven', model_id: null }, expect: {} },
      badRequestId: { carried: { request_id: 'r'.repeat(300) }, expect: {} },
    };
    const added = {};
    for (const [name, { carried }] of Object.entries(cases)) {
      // Written straight into the job options, as a hostile producer with Redis access could.
      added[name] = await queue.add(name, { expect: {} }, { [JOB_CONTEXT_KEY]: carried });
    }
    for (const [name, { expect }] of Object.entries(cases)) {
      const job = added[name];
      const result = await job.waitUntilFinished(events, 30_000);
      assert.equal(typeof result, 'object', `${name}: the job completed`);
      const lines = await finishedLines(worker, job.id);
      assert.equal(lines.length, 2, name);
      for (const line of lines) {
        for (const key of ['session_id', 'model_id', 'is_admin', '__proto__']) {
          if (key in expect) assert.equal(line[key], expect[key], `${name}: ${key}`);
          else assert.ok(!Object.hasOwn(line, key), `${name}: ${key} must not be on the line: ${JSON.stringify(line)}`);
        }
        // No trusted request id: the job got a fresh one, never the hostile text.
        assert.match(line.request_id, /^[0-9a-f]{32}$/, name);
      }
      assert.ok(!/evil|alias-not|s-array|seven|big/.test(JSON.stringify(lines)), name);
      assert.ok(worker.records.some((r) => r.dropped === job.id && r.code === 'ERR_MELLEA_JOB_CONTEXT'), `${name}: the drop was reported`);
    }
  });

  it('omit and hash: the omitted field never reaches Redis or the worker, the hashed one arrives as its SHA-256', async () => {
    const secret = 's-secret-user@example.com';
    const omitted = await withContext({ sessionId: secret, requestId: 'r-omit' }, () => addWithContext(queue, 'omit', { expect: {} }, { attempts: 2 }, { omit: ['session_id'] }));
    const hashed = await withContext({ sessionId: secret, requestId: 'r-hash' }, () => contextQueue(queue, { hash: ['sessionId'] }).add('hash', { expect: {} }));
    await omitted.waitUntilFinished(events, 30_000);
    await hashed.waitUntilFinished(events, 30_000);
    // What Redis holds for each job (read back through BullMQ).
    for (const job of [omitted, hashed]) {
      const stored = await queue.getJob(job.id);
      assert.ok(!JSON.stringify(stored.opts).includes(secret), JSON.stringify(stored.opts));
    }
    assert.equal((await queue.getJob(omitted.id)).opts.attempts, 2, 'the caller\'s options are kept');
    // The package's one 'hash': the first 16 hex characters of SHA-256, as in log lines and baggage.
    const sha = createHash('sha256').update(secret).digest('hex').slice(0, 16);
    for (const line of await finishedLines(worker, omitted.id)) {
      assert.ok(!Object.hasOwn(line, 'session_id'), JSON.stringify(line));
      assert.equal(line.request_id, 'r-omit');
    }
    for (const line of await finishedLines(worker, hashed.id)) {
      assert.equal(line.session_id, sha);
      assert.equal(line.request_id, 'r-hash');
    }
  });

  it('a job added outside any scope runs with a fresh request id and no session; a failing processor still fails its job', async () => {
    const plain = await contextQueue(queue).add('plain', { expect: {} });
    await plain.waitUntilFinished(events, 30_000);
    const lines = await finishedLines(worker, plain.id);
    assert.equal(lines.length, 2);
    assert.ok(!Object.hasOwn(lines[0], 'session_id'));
    assert.match(lines[0].request_id, /^[0-9a-f]{32}$/);
    assert.equal(lines[0].request_id, lines[1].request_id, 'one id for the whole job');

    const failing = await withContext('s-fail', () => addWithContext(queue, 'fail', { expect: { session_id: 's-fail' }, fail: true }));
    await assert.rejects(failing.waitUntilFinished(events, 30_000), /processor failed on purpose/);
    assert.equal((await finishedLines(worker, failing.id))[1].session_id, 's-fail');
  });
});

describe('mellea-context/bullmq without Redis: options and arguments', () => {
  const fakeQueue = { added: [], add(name, data, opts) { this.added.push({ name, data, opts }); return Promise.resolve({ name, data, opts }); }, addBulk(jobs) { return Promise.resolve(jobs); }, name: 'fake' };

  it('contextJobOptions copies the options, adds the carrier inside a scope and nothing outside', () => {
    const shared = Object.freeze({ attempts: 3 });
    const inside = withContext({ sessionId: 's-1', requestId: 'r-1' }, () => contextJobOptions(shared));
    assert.deepEqual(inside, { attempts: 3, [JOB_CONTEXT_KEY]: { session_id: 's-1', request_id: 'r-1' } });
    assert.deepEqual(contextJobOptions(shared), { attempts: 3 });
    assert.deepEqual(contextJobOptions(), {});
    assert.deepEqual(jobContext({ opts: inside }), { session_id: 's-1', request_id: 'r-1' });
  });

  it('contextQueue is the same queue for everything but add/addBulk, and addBulk carries the context on every job', async () => {
    const view = contextQueue(fakeQueue);
    assert.equal(view.name, 'fake');
    const jobs = await withContext('s-bulk', () => view.addBulk([{ name: 'a', data: {} }, { name: 'b', data: {}, opts: { delay: 5 } }]));
    assert.deepEqual(jobs.map((j) => j.opts), [{ [JOB_CONTEXT_KEY]: { session_id: 's-bulk' } }, { delay: 5, [JOB_CONTEXT_KEY]: { session_id: 's-bulk' } }]);
  });

  it('refuses bad options and arguments with coded errors, before adding anything', async () => {
    const codes = [];
    const capture = (fn) => {
      try {
        fn();
      } catch (error) {
        codes.push(error.code);
      }
    };
    capture(() => contextQueue(fakeQueue, { omit: ['no_such_field'] }));
    capture(() => contextQueue(fakeQueue, { hash: ['sampling_iteration'] }));
    capture(() => contextQueue(fakeQueue, { omit: ['session_id'], hash: ['session_id'] }));
    capture(() => contextQueue(fakeQueue, { omitt: [] }));
    capture(() => contextQueue(fakeQueue, { omit: 'session_id' }));
    capture(() => contextQueue(null));
    capture(() => withJobContext('not a function'));
    capture(() => withJobContext(async () => {}, { accept: ['nope'] }));
    capture(() => withJobContext(async () => {}, { trust: true }));
    capture(() => contextJobOptions('attempts=3'));
    assert.deepEqual(codes, [
      'ERR_MELLEA_INVALID_OPTION',
      'ERR_MELLEA_INVALID_OPTION',
      'ERR_MELLEA_INVALID_OPTION',
      'ERR_MELLEA_UNKNOWN_OPTION',
      'ERR_MELLEA_INVALID_OPTION',
      'ERR_INVALID_ARG_TYPE',
      'ERR_INVALID_ARG_TYPE',
      'ERR_MELLEA_INVALID_OPTION',
      'ERR_MELLEA_UNKNOWN_OPTION',
      'ERR_INVALID_ARG_TYPE',
    ]);
    await assert.rejects(addWithContext(fakeQueue, 'x', {}, 42), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.equal(fakeQueue.added.length, 0);
  });

  it('withJobContext declares an abort signal only when the processor does (BullMQ makes an AbortController per job for processors of 3 parameters)', async () => {
    // BullMQ 6 reads processor.length: >= 3 gets a per-job AbortController
    // and signal, fewer gets none. A wrapper that always declared 3 made every
    // job pay for a signal nobody reads (measured 5.7 us of CPU per job).
    const job = { id: '1', name: 'n', opts: { [JOB_CONTEXT_KEY]: { session_id: 's-sig' } } };
    assert.ok(withJobContext(async (j) => j.id).length < 3);
    assert.ok(withJobContext(async (j, token) => token).length < 3);
    assert.ok(withJobContext(async (...args) => args.length).length < 3);
    const withSignal = withJobContext(async (j, token, signal) => ({ token, signal, session: (await import('mellea-context')).getCurrentContext().session_id }));
    assert.ok(withSignal.length >= 3);
    const controller = new AbortController();
    assert.deepEqual(await withSignal(job, 'tok', controller.signal), { token: 'tok', signal: controller.signal, session: 's-sig' });
    assert.deepEqual(await withJobContext(async (...args) => args.slice(1))(job, 'tok'), ['tok']);
  });

  it('withJobContext accepts only the fields it is told to, and keeps the worker\'s own scope underneath', async () => {
    const job = { id: '1', name: 'n', opts: { [JOB_CONTEXT_KEY]: { session_id: 's-job', model_id: 'm-job', request_id: 'r-job' } } };
    const seen = await withContext({ modelId: 'worker-model' }, () => withJobContext(async () => (await import('mellea-context')).getCurrentContext(), { accept: ['session_id', 'request_id'] })(job));
    assert.deepEqual(seen, { session_id: 's-job', request_id: 'r-job', model_id: 'worker-model' });
  });
});

// The context crosses into worker threads: a ContextWorker (and a plain
// Worker with contextWorkerData) and a Piscina pool log with the
// originating session while 200 tasks of other sessions run; the context
// is validated on arrival.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, it } from 'node:test';
import { Piscina } from 'piscina';
import { getCurrentContext, withContext } from 'mellea-context';
import { ContextWorker, acceptContext, contextWorkerData, piscinaTask, withTaskContext } from 'mellea-context/worker';

const WORKER = new URL('./fixtures/context-worker.mjs', import.meta.url);
const TASK = new URL('./fixtures/piscina-task.mjs', import.meta.url).href;

async function talkTo(worker, messages) {
  // Listening for 'exit' from the start: a worker that exits right after its
  // last message can have both delivered in one turn (the parent drains the
  // port when the exit arrives), and a listener added after the message is
  // then too late. Seen on Node 24 and 26 with a Piscina pool busy in the
  // parent: about 1 run in 4 waited forever (tests/worker.test.mjs alone).
  const exited = once(worker, 'exit');
  const [first] = await once(worker, 'message');
  assert.equal(first, 'ready');
  for (const message of messages) worker.postMessage(message);
  worker.postMessage('done');
  const [result] = await once(worker, 'message');
  await exited;
  return result;
}

function sessionsOf(lines) {
  return lines.map((line) => [line.msg, line.session_id ?? null, line.request_id ?? null]);
}

describe('worker threads', () => {
  it('a ContextWorker and a Piscina task log with the originating session while 200 Piscina tasks of other sessions run', async () => {
    const pool = new Piscina({ filename: TASK, maxThreads: 2 });
    try {
      const others = Array.from({ length: 200 }, (_, n) => withContext({ session_id: `other-${n}`, request_id: `r-${n}` }, () =>
        pool.run(piscinaTask({ n, delay: n % 3 })).then((result) => ({ n, result }))));
      const worker = withContext({ session_id: 'origin', request_id: 'req-origin' }, () =>
        new ContextWorker(WORKER, { workerData: { job: 7 } }));
      // The originating request's own Piscina task, queued among the others.
      const originTask = withContext({ session_id: 'origin', request_id: 'req-origin' }, () => pool.run(piscinaTask({ n: -1, delay: 5 })));
      const more = Array.from({ length: 20 }, (_, n) => withContext(`later-${n}`, () => pool.run(piscinaTask({ n, delay: 1 }))));
      assert.deepEqual(getCurrentContext(), {});
      const result = await withContext('someone-else', () => talkTo(worker, ['m-1', 'm-2']));
      assert.deepEqual(sessionsOf(result.lines), [
        ['worker started', 'origin', 'req-origin'],
        ['after a timer', 'origin', 'req-origin'],
        ['message', 'origin', 'req-origin'],
        ['message', 'origin', 'req-origin'],
      ]);
      // workerData in the worker is the option given, not an envelope.
      assert.deepEqual(result.lines[0].data, { job: 7 });
      const origin = await originTask;
      assert.deepEqual(sessionsOf(origin.lines), [['task started', 'origin', 'req-origin'], ['task done', 'origin', 'req-origin']]);
      for (const [n, task] of (await Promise.all(more)).entries()) assert.equal(task.context.session_id, `later-${n}`);
      for (const { n, result: task } of await Promise.all(others)) {
        assert.deepEqual(sessionsOf(task.lines), [['task started', `other-${n}`, `r-${n}`], ['task done', `other-${n}`, `r-${n}`]]);
        assert.deepEqual(task.context, { session_id: `other-${n}`, request_id: `r-${n}` });
      }
    } finally {
      await pool.destroy();
    }
  });

  it('a plain Worker with contextWorkerData and runWithWorkerContext', async () => {
    const workerData = withContext({ session_id: 'manual', model_id: 'm-1' }, () => contextWorkerData({ manual: true }));
    const result = await talkTo(new Worker(WORKER, { workerData }), []);
    assert.deepEqual(sessionsOf(result.lines).map(([, session]) => session), ['manual', 'manual']);
    assert.equal(result.lines[0].model_id, 'm-1');
    assert.deepEqual(result.lines[0].data, { manual: true });
  });

  it('a worker started outside any scope carries nothing', async () => {
    const result = await talkTo(new ContextWorker(WORKER), []);
    assert.deepEqual(sessionsOf(result.lines).map(([, session]) => session), [null, null]);
  });

  it('a ContextWorker whose script fails to load reports it as the worker\'s error', async () => {
    const worker = withContext('s', () => new ContextWorker(new URL('./fixtures/no-such-worker.mjs', import.meta.url)));
    const [error] = await once(worker, 'error');
    assert.equal(error.code, 'ERR_MODULE_NOT_FOUND');
  });

  it('bad arguments get coded errors', () => {
    assert.throws(() => new ContextWorker(42), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => new ContextWorker(WORKER, { eval: true }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => withTaskContext(null), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('inbound context is validated on arrival', () => {
  it('bad values and unknown or non-canonical names are dropped, good ones kept', () => {
    assert.deepEqual(acceptContext({
      session_id: 's-ok',
      request_id: 'bad\nvalue',
      model_id: 'x'.repeat(300),
      sampling_iteration: -1,
      sessionId: 'alias-not-accepted',
      not_a_field: 'x',
    }), { session_id: 's-ok' });
    assert.deepEqual(acceptContext({ sampling_iteration: 3, model_id: 'm' }), { sampling_iteration: 3, model_id: 'm' });
    for (const bad of [null, 'str', 42, [], undefined]) assert.deepEqual(acceptContext(bad), {});
  });

  it('a task whose context was tampered with runs with the good fields only', async () => {
    const handler = withTaskContext((data) => ({ data, context: getCurrentContext() }));
    const task = { __melleaContext: 1, context: { session_id: 'ok', request_id: '\u0007evil', model_id: 7 }, data: 'd' };
    assert.deepEqual(handler(task), { data: 'd', context: { session_id: 'ok' } });
    assert.deepEqual(handler('plain'), { data: 'plain', context: {} });
  });

  it("a task's handler runs once: its own error is not taken for a refused context", () => {
    let calls = 0;
    const failing = withTaskContext(() => {
      calls++;
      throw new TypeError('handler failed');
    });
    assert.throws(() => failing({ __melleaContext: 1, context: { session_id: 'ok' }, data: 1 }), { message: 'handler failed' });
    assert.throws(() => failing({ __melleaContext: 1, context: { session_id: 'x\u0000' }, data: 1 }), { message: 'handler failed' });
    assert.equal(calls, 2);
  });

  it('in a real Piscina worker too', async () => {
    const pool = new Piscina({ filename: TASK, maxThreads: 1 });
    try {
      const result = await pool.run({ __melleaContext: 1, context: { session_id: 'fine', request_id: 'x\u0000y' }, data: { n: 1, delay: 0 } });
      assert.deepEqual(result.context, { session_id: 'fine' });
    } finally {
      await pool.destroy();
    }
  });
});

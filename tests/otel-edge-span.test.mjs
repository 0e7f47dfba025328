// Edge spans (issue 9, finding 4): the server span that
// @opentelemetry/instrumentation-http starts before any middleware carries
// the request's fields, including a session an auth step adds after an
// await, for Express and Fastify, across 200 concurrent requests with random
// awaits and no cross-talk. Each run is a child process: instrumentations
// must be registered before http is loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const fixture = join(import.meta.dirname, 'fixtures', 'service-edge.mjs');
const SERVER = 1;

async function scenario(env) {
  const { stdout } = await run(process.execPath, [fixture], { env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop());
}

for (const framework of ['express', 'fastify']) {
  test(`${framework}: every server span carries its own request's id and the session auth added, 200 concurrent requests`, async () => {
    const { responses, spans } = await scenario({ FRAMEWORK: framework, COUNT: '200' });
    assert.equal(responses.length, 200);
    const servers = spans.filter((s) => s.kind === SERVER);
    assert.equal(servers.length, 200, 'one server span per request');
    const byId = new Map(servers.map((s) => [s.attributes['mellea.request_id'], s]));
    assert.equal(byId.size, 200, 'every server span has a distinct request id');
    for (const { id, user, body } of responses) {
      assert.deepEqual(body, { session_id: `sess-${user}`, request_id: id, model_id: `model-${user}` });
      const server = byId.get(id);
      assert.ok(server, `a server span carries ${id}, the id the response echoed`);
      assert.equal(server.attributes['mellea.session_id'], `sess-${user}`);
      assert.equal(server.attributes['session.id'], `sess-${user}`);
      assert.equal(server.attributes['mellea.model_id'], `model-${user}`);
      assert.equal(server.attributes['gen_ai.conversation.id'], undefined, 'a server span is not a model call');
      const work = spans.filter((s) => s.name === 'work' && s.traceId === server.traceId);
      assert.equal(work.length, 1);
      assert.equal(work[0].attributes['mellea.request_id'], id);
      assert.equal(work[0].attributes['mellea.session_id'], `sess-${user}`);
    }
    // The client spans (fetch, outside any scope) carry nothing.
    for (const client of spans.filter((s) => s.kind === 2)) assert.equal(client.attributes['mellea.request_id'], undefined);
  });
}

test('control: with edgeSpans: false the server spans stay bare (what finding 4 reported)', async () => {
  const { spans } = await scenario({ FRAMEWORK: 'express', COUNT: '5', EDGE: '0' });
  const servers = spans.filter((s) => s.kind === SERVER);
  assert.equal(servers.length, 5);
  for (const s of servers) assert.equal(s.attributes['mellea.request_id'], undefined);
  // Spans started inside the request still carry the fields.
  for (const s of spans.filter((x) => x.name === 'work')) assert.match(s.attributes['mellea.request_id'], /^[0-9a-f]{32}$/);
});

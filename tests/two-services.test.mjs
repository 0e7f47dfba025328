// Two services in separate processes: A (Express) calls B (Fastify) with
// fetch; B's pino lines and spans carry A's session_id, model_id and
// request_id when B trusts A, and none of them when it does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const fixtures = join(import.meta.dirname, 'fixtures');

async function start(script, env) {
  const child = spawn(process.execPath, [join(fixtures, script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  const reader = createInterface({ input: child.stdout });
  const listening = new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    reader.on('line', (line) => {
      const record = JSON.parse(line);
      if (record.listening) resolve(`http://127.0.0.1:${record.listening}`);
      else lines.push(record);
    });
  });
  const url = await listening;
  return { url, lines, stop: async () => { child.kill(); await once(child, 'exit'); } };
}

for (const trust of [true, false]) {
  for (const mode of ['headers', 'otel']) {
    test(`A -> B with ${mode === 'otel' ? 'the global OpenTelemetry CompositePropagator' : 'injectHeaders'}, B ${trust ? 'trusts' : 'does not trust'} A`, async () => {
      const b = await start('service-b.mjs', { TRUST: trust ? '1' : '0' });
      const a = await start('service-a.mjs', { B_URL: b.url });
      try {
        const results = await Promise.all(['s-1', 's-2', 's-3'].map(async (session) => {
          const res = await fetch(`${a.url}/chat?session=${session}&mode=${mode}`);
          assert.equal(res.status, 200);
          return { session, requestId: res.headers.get('x-request-id'), body: await res.json() };
        }));
        await new Promise((r) => setTimeout(r, 50));
        for (const { session, requestId, body } of results) {
          assert.deepEqual(body.a, { session_id: session, request_id: requestId, model_id: 'granite-3.3' });
          const logs = b.lines.filter((l) => l.msg && (trust ? l.session_id === session : l.request_id === body.b.request_id));
          assert.equal(logs.length, 2, `B logged twice for ${session}`);
          const spans = b.lines.filter((l) => l.span === 'b-work' && l.attributes['mellea.request_id'] === body.b.request_id);
          assert.equal(spans.length, 1);
          if (mode === 'otel') assert.equal(spans[0].traceId, body.traceId, 'B continues A\'s trace');
          if (trust) {
            assert.deepEqual(body.b, body.a);
            for (const line of logs) {
              assert.equal(line.session_id, session);
              assert.equal(line.model_id, 'granite-3.3');
              assert.equal(line.request_id, requestId);
            }
            assert.deepEqual(
              Object.fromEntries(Object.entries(spans[0].attributes).filter(([k]) => k !== 'mellea.sampling_iteration')),
              { 'mellea.session_id': session, 'mellea.request_id': requestId, 'mellea.model_id': 'granite-3.3', 'gen_ai.conversation.id': session },
            );
          } else {
            // Untrusted: B makes its own id and takes nothing from A's baggage.
            assert.notEqual(body.b.request_id, requestId);
            assert.deepEqual(Object.keys(body.b), ['request_id']);
            for (const line of logs) assert.equal(line.session_id, undefined);
            assert.equal(spans[0].attributes['gen_ai.conversation.id'], undefined);
          }
        }
      } finally {
        await a.stop();
        await b.stop();
      }
    });
  }
}

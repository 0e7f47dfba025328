// Two services in separate processes, each traced as a real service is (node
// SDK, http and undici instrumentations, ContextSpanProcessor, the global
// CompositePropagator): A (Express) calls B (Fastify) with fetch. When B
// trusts A for session_id and model_id, B's lines and spans carry A's
// session and model, B's own request id, and A's id as the parent request
// id; when it does not, B takes nothing. B receives each baggage member once
// whether A injected by hand or left it to the instrumentation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const fixtures = join(import.meta.dirname, 'fixtures');
const SERVER = 1; // SpanKind.SERVER

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

function keysOf(baggage) {
  return baggage.split(',').map((m) => m.trim().split('=')[0]);
}

for (const trust of [true, false]) {
  for (const mode of ['headers', 'otel']) {
    test(`A -> B with ${mode === 'otel' ? 'the instrumentation and the global propagator' : 'injectHeaders and the instrumentation'}, B ${trust ? 'trusts A for session and model' : 'does not trust A'}`, async () => {
      const b = await start('service-b.mjs', { TRUST: trust ? '1' : '0' });
      const a = await start('service-a.mjs', { B_URL: b.url });
      try {
        const results = await Promise.all(['s-1', 's-2', 's-3'].map(async (session) => {
          const res = await fetch(`${a.url}/chat?session=${session}&mode=${mode}`);
          assert.equal(res.status, 200);
          return { session, requestId: res.headers.get('x-request-id'), body: await res.json() };
        }));
        await new Promise((r) => setTimeout(r, 100));
        for (const { session, requestId, body } of results) {
          assert.deepEqual(body.a, { session_id: session, request_id: requestId, model_id: 'granite-3.3' });
          const bId = body.b.request_id;
          assert.match(bId, /^[0-9a-f]{32}$/);
          assert.notEqual(bId, requestId, 'B mints its own request id');
          assert.equal(body.b.agree, true, "B's getCurrentContext() and fieldsFromContext(active) agree");
          // What B received: each member once (no duplicate from the instrumentation).
          const received = b.lines.find((l) => 'received' in l && l.request_id === bId).received;
          const keys = keysOf(received);
          assert.deepEqual(keys, [...new Set(keys)], `duplicate baggage members: ${received}`);
          assert.ok(received.includes(`mellea.session_id=${session}`), 'B is on the allow-list: session in clear');
          const logs = b.lines.filter((l) => l.msg && l.request_id === bId);
          assert.equal(logs.length, 2, `B logged twice for ${session}`);
          const work = b.lines.filter((l) => l.span === 'b-work' && l.attributes['mellea.request_id'] === bId);
          assert.equal(work.length, 1);
          const server = b.lines.filter((l) => l.kind === SERVER && l.attributes['mellea.request_id'] === bId);
          assert.equal(server.length, 1, "B's server span carries B's own id");
          assert.equal(work[0].traceId, body.traceId, "B continues A's trace");
          assert.equal(server[0].traceId, body.traceId);
          const aServer = a.lines.filter((l) => l.kind === SERVER && l.attributes['mellea.request_id'] === requestId);
          assert.equal(aServer.length, 1, "A's server span carries A's id");
          if (trust) {
            assert.deepEqual(body.b, { session_id: session, request_id: bId, model_id: 'granite-3.3', parent: requestId, agree: true });
            for (const line of logs) {
              assert.equal(line.session_id, session);
              assert.equal(line.model_id, 'granite-3.3');
            }
            for (const span of [work[0], server[0]]) {
              assert.equal(span.attributes['mellea.session_id'], session);
              assert.equal(span.attributes['session.id'], session);
              assert.equal(span.attributes['mellea.model_id'], 'granite-3.3');
              assert.equal(span.attributes['gen_ai.conversation.id'], undefined, 'not a model call');
            }
            assert.equal(server[0].attributes['mellea.parent_request_id'], requestId);
          } else {
            assert.deepEqual(body.b, { request_id: bId, parent: null, agree: true });
            for (const line of logs) assert.equal(line.session_id, undefined);
            for (const span of [work[0], server[0]]) {
              for (const key of ['mellea.session_id', 'session.id', 'mellea.model_id', 'mellea.parent_request_id']) {
                assert.equal(span.attributes[key], undefined, `${span.span} has no ${key} from an untrusted caller`);
              }
            }
          }
        }
      } finally {
        await a.stop();
        await b.stop();
      }
    });
  }
}

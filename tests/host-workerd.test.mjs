// Cloudflare Workers: the packed package installed by npm, a Worker
// (tests/fixtures/host-worker.js) bundled as wrangler bundles it (esbuild
// with the conditions workerd, worker, browser; node:* left to nodejs_compat;
// a .wasm import kept as a module of its own), served by workerd
// (scripts/runtimes.json pins it) on 127.0.0.1. Concurrent requests, each
// with its own session in baggage: every console line and every outbound
// fetch (to a server this test runs) carries that request's fields.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from './helpers/child.mjs';
import { hostSkipReason, installPacked } from './helpers/hosts.mjs';
import { bundleWorker, startWorkerd, writeWorkerdConfig } from './helpers/workerd.mjs';

const REQUESTS = 50;
const HEX32 = /^[0-9a-f]{32}$/;

/** A server that records the URL and baggage of each request it gets. */
function startUpstream() {
  const seen = [];
  const server = createServer((req, res) => {
    seen.push({ i: new URL(req.url, 'http://x').searchParams.get('i'), baggage: req.headers.baggage });
    res.end('ok');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ seen, port: server.address().port, close: () => new Promise((done) => server.close(done)) })));
}

/** A baggage header's members, decoded (the test's own reading, not the package's). */
function members(header) {
  const out = {};
  for (const part of (header ?? '').split(',')) {
    const [key, value] = part.trim().split('=');
    if (key) out[key] = decodeURIComponent(value);
  }
  return out;
}

describe('Cloudflare Workers (workerd): the packed package', { skip: hostSkipReason('workerd') }, () => {
  let project;
  let upstream;
  let workerd;
  let responses;
  let refused;
  let lines;

  before(async () => {
    project = installPacked();
    writeFileSync(join(project.dir, 'worker.js'), readFileSync(join(repoRoot, 'tests/fixtures/host-worker.js')));
    const out = join(project.dir, 'out');
    const wasmModules = await bundleWorker(join(project.dir, 'worker.js'), out);
    upstream = await startUpstream();
    writeWorkerdConfig(out, wasmModules, { UPSTREAM: `http://127.0.0.1:${upstream.port}` });
    workerd = await startWorkerd(out);
    responses = await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const response = await fetch(`http://127.0.0.1:${workerd.port}/?i=${i}`, { headers: { baggage: `mellea.session_id=wk-${i},mellea.model_id=m-${i % 3}` } });
        return { i, status: response.status, body: await response.json() };
      }),
    );
    refused = await (await fetch(`http://127.0.0.1:${workerd.port}/enter`)).json();
    await workerd.stop(); // its output is whole once it has exited
    lines = workerd.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
  });

  after(async () => {
    await workerd?.stop();
    await upstream?.close();
    project?.remove();
  });

  it('resolves the workerd build, whose .wasm arrives as a module', () => {
    const bundle = readFileSync(join(project.dir, 'out/worker.js'), 'utf8');
    assert.match(bundle, /from "\.\/mellea_core\.wasm"/);
    assert.doesNotMatch(bundle, /new Function/, 'workerd refuses code generation from strings');
  });

  it('answers concurrent requests each in its own scope', () => {
    assert.equal(responses.length, REQUESTS);
    for (const { i, status, body } of responses) {
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.session, `wk-${i}`);
      assert.match(body.request, HEX32);
    }
    assert.equal(new Set(responses.map((r) => r.body.request)).size, REQUESTS, 'every request has its own id');
  });

  it("writes each request's own fields on its console lines, before and after its outbound fetch", () => {
    for (const { i, body } of responses) {
      for (const message of [`request ${i}`, `after upstream ${i}`]) {
        const line = lines.find((l) => l.message === message);
        assert.ok(line, `no console line "${message}" in:\n${workerd.output().slice(0, 2000)}`);
        assert.deepEqual(
          { session_id: line.session_id, request_id: line.request_id, model_id: line.model_id },
          { session_id: `wk-${i}`, request_id: body.request, model_id: `m-${i % 3}` },
          message,
        );
      }
    }
  });

  it("sends each request's fields as baggage on its outbound fetch (contextFetch)", () => {
    assert.equal(upstream.seen.length, REQUESTS);
    for (const { i, body } of responses) {
      const call = upstream.seen.find((s) => s.i === String(i));
      assert.deepEqual(members(call.baggage), { 'mellea.session_id': `wk-${i}`, 'mellea.request_id': body.request, 'mellea.model_id': `m-${i % 3}` });
    }
  });

  it('serves under an old compatibility date too (2023-06-01: nodejs_compat without a process global)', async () => {
    const old = join(project.dir, 'out-old');
    cpSync(join(project.dir, 'out'), old, { recursive: true });
    writeWorkerdConfig(old, ['mellea_core.wasm'], { UPSTREAM: `http://127.0.0.1:${upstream.port}` }, { compatibilityDate: '2023-06-01' });
    const oldWorkerd = await startWorkerd(old);
    try {
      const response = await fetch(`http://127.0.0.1:${oldWorkerd.port}/?i=old`, { headers: { baggage: 'mellea.session_id=wk-old' } });
      assert.equal((await response.json()).session, 'wk-old');
    } finally {
      await oldWorkerd.stop();
    }
  });

  it('stops a Worker that imports an entry point without a Workers build, at startup, saying so', async () => {
    writeFileSync(join(project.dir, 'pino-worker.js'), "import { pinoOptions } from 'mellea-context/pino';\nexport default { fetch: () => new Response(typeof pinoOptions) };\n");
    const out = join(project.dir, 'pino-out');
    writeWorkerdConfig(out, await bundleWorker(join(project.dir, 'pino-worker.js'), out));
    await assert.rejects(startWorkerd(out), /workerd exited[^]*Uncaught TypeError: mellea-context\/pino is not available on Cloudflare Workers/);
  });

  it('refuses enterContext with ERR_MELLEA_UNSUPPORTED (workerd has no enterWith)', () => {
    assert.equal(refused.code, 'ERR_MELLEA_UNSUPPORTED');
    assert.match(refused.message, /withContext/);
  });
});

// Places where a context used to be lost silently, met as a user meets
// them: a lazy thenable returned from a sync callback (openai's APIPromise),
// enterContext in a bare node:http handler on a kept-alive socket (on the
// Nodes whose AsyncLocalStorage keeps stores on async resources), and a
// client built with defaultHeaders: injectHeaders({}) inside one request.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { enterContext, getCurrentContext, getSessionId, withContext } from 'mellea-context';
import { contextFetch, injectHeaders, extractHeaders, withRequestContext } from 'mellea-context/http';
import { listen, request } from './helpers/servers.mjs';
import { asyncContextFrame, otherStorageFlag } from './helpers/node-matrix.mjs';

/** A fake OpenAI server on 127.0.0.1 that records each request's baggage. */
async function fakeOpenAI() {
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ path: req.url, baggage: req.headers.baggage, session: extractHeaders(req.headers).session_id });
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_fake' });
      res.end(JSON.stringify({
        id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'fake',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
      }));
    });
  });
  const handle = await listen(server);
  return { ...handle, seen };
}

/** An openai logger that notes which session each of its lines would carry. */
function sessionLogger() {
  const lines = [];
  const note = (message) => lines.push({ message: String(message).replace(/^\[[^\]]*\] /, ''), session: getSessionId() ?? null });
  return { lines, logger: { debug: note, info: note, warn: note, error: note } };
}

describe('a lazy thenable returned from a sync callback keeps the scope', () => {
  it('openai v5: withContext(f, () => client.chat.completions.create(...)) parses in the scope', async () => {
    const api = await fakeOpenAI();
    const { lines, logger } = sessionLogger();
    const client = new OpenAI({ apiKey: 'test', baseURL: `${api.url}/v1`, logger, logLevel: 'debug', maxRetries: 0 });
    try {
      const completion = await withContext({ session_id: 's-openai' }, () =>
        client.chat.completions.create({ model: 'fake', messages: [{ role: 'user', content: 'hello' }] }));
      assert.equal(completion.choices[0].message.content, 'hi');
      const parsed = lines.find((l) => l.message.startsWith('response parsed'));
      assert.ok(parsed, `openai logged: ${JSON.stringify(lines.map((l) => l.message))}`);
      assert.deepEqual(lines.filter((l) => l.session !== 's-openai'), []);
      // The APIPromise is still an APIPromise: its own methods work.
      const raw = await withContext('s-raw', () => client.chat.completions.create({ model: 'fake', messages: [] }).asResponse());
      assert.equal(raw.status, 200);
    } finally {
      await api.close();
    }
  });

  it('then() callbacks run back in the caller\'s scope, and a native Promise passes through unchanged', async () => {
    const lazy = { then(resolve) { resolve(getSessionId()); } };
    const returned = withContext('inner', () => lazy);
    assert.equal(returned, lazy);
    const seenIn = await new Promise((resolve) => returned.then((value) => resolve([value, getSessionId()])));
    assert.deepEqual(seenIn, ['inner', undefined]);
    const native = Promise.resolve(1);
    assert.equal(withContext('s', () => native), native);
    assert.equal(Object.hasOwn(native, 'then'), false);
    const frozen = Object.freeze({ then(resolve) { resolve(getSessionId()); } });
    assert.equal(await withContext('frozen', () => frozen), 'frozen');
  });
});

describe('enterContext in a node:http handler', () => {
  async function twoRequestsOnOneSocket(handler) {
    const server = await listen(http.createServer(handler));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await request(`${server.url}/leak-1`, { agent });
      const second = await request(`${server.url}/leak-2`, { agent });
      return [JSON.parse(first.body), JSON.parse(second.body)];
    } finally {
      agent.destroy();
      await server.close();
    }
  }

  function leakyHandler(req, res) {
    const before = getSessionId() ?? null;
    enterContext({ session_id: req.url.slice(1) });
    setTimeout(() => res.end(JSON.stringify({ before, during: getSessionId() })), 1);
  }

  // Where AsyncLocalStorage keeps stores on async resources (Node 20 and 22;
  // 24+ with --no-async-context-frame) enterWith changes the connection's
  // scope, so the next request on the kept-alive socket starts in it: why the
  // recipe matters. Under AsyncContextFrame (Node 24+'s default; 22 with
  // --experimental-async-context-frame) the entered scope ends with the
  // callback that entered it, and the next request starts clean.
  it(`outside any withContext: ${asyncContextFrame() ? 'no leak under AsyncContextFrame (this Node\'s default)' : 'it leaks into the next request on a kept-alive socket (stores on async resources, this Node\'s default)'}`, async () => {
    const [first, second] = await twoRequestsOnOneSocket(leakyHandler);
    assert.deepEqual(first, { before: null, during: 'leak-1' });
    assert.deepEqual(second, { before: asyncContextFrame() ? null : 'leak-1', during: 'leak-2' });
  });

  const other = otherStorageFlag();
  it(other.skip ? 'outside any withContext, with this Node\'s other AsyncLocalStorage' : `outside any withContext, under ${other.flag}: ${other.frame ? 'no leak' : 'it leaks'}`, { skip: other.skip }, () => {
    const run = spawnSync(process.execPath, [other.flag, fileURLToPath(new URL('./fixtures/enter-in-handler.mjs', import.meta.url)), 'handler'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).before, [null, other.frame ? null : 'leak-1']);
  });

  it('inside withRequestContext nothing leaks', async () => {
    const [first, second] = await twoRequestsOnOneSocket(withRequestContext(leakyHandler));
    assert.deepEqual(first, { before: null, during: 'leak-1' });
    assert.deepEqual(second, { before: null, during: 'leak-2' });
  });

  it('inside withContext({}, ...) nothing leaks', async () => {
    const [, second] = await twoRequestsOnOneSocket((req, res) => withContext({}, leakyHandler, req, res));
    assert.deepEqual(second, { before: null, during: 'leak-2' });
  });
});

describe('defaultHeaders: injectHeaders({}) is a snapshot; contextFetch injects per call', () => {
  async function serviceCalling(makeClient) {
    const api = await fakeOpenAI();
    let client;
    const server = await listen(http.createServer(withRequestContext(async (req, res) => {
      const session = new URL(req.url, 'http://x').searchParams.get('session');
      await withContext({ session_id: session }, async () => {
        client ??= makeClient(api.url); // built once, inside the first request
        await client.chat.completions.create({ model: 'fake', messages: [] });
      });
      res.end('ok');
    })));
    try {
      for (const session of ['user-1', 'user-2', 'user-3']) await request(`${server.url}/?session=${session}`);
      return api.seen.map((s) => s.session ?? null);
    } finally {
      await server.close();
      await api.close();
    }
  }

  it('the trap: every later call carries the first request\'s session', async () => {
    const sent = await serviceCalling((url) => new OpenAI({ apiKey: 'test', baseURL: `${url}/v1`, maxRetries: 0, defaultHeaders: injectHeaders({}, { url, destinations: ['127.0.0.1'] }) }));
    assert.deepEqual(sent, ['user-1', 'user-1', 'user-1']);
  });

  it('contextFetch: each call carries its own session', async () => {
    const sent = await serviceCalling((url) => new OpenAI({ apiKey: 'test', baseURL: `${url}/v1`, maxRetries: 0, fetch: contextFetch(undefined, { destinations: ['127.0.0.1'] }) }));
    assert.deepEqual(sent, ['user-1', 'user-2', 'user-3']);
  });

  it('contextFetch keeps the caller\'s headers and baggage, and adds nothing outside a scope', async () => {
    const seen = [];
    const fake = async (input, init) => {
      seen.push(Object.fromEntries(new Headers(init?.headers)));
      return new Response('ok');
    };
    const fetch = contextFetch(fake, { destinations: ['127.0.0.1'] });
    await withContext({ session_id: 's-1' }, () => fetch('http://127.0.0.1:9/x', { headers: { 'x-a': '1', baggage: 'k=v' } }));
    await fetch('http://127.0.0.1:9/y', { headers: [['x-b', '2']] });
    await withContext('s-2', () => fetch(new Request('http://127.0.0.1:9/z', { headers: { 'x-c': '3' } })));
    assert.equal(seen[0]['x-a'], '1');
    assert.deepEqual(seen[0].baggage.split(',').sort(), ['k=v', 'mellea.session_id=s-1']);
    assert.deepEqual(seen[1], { 'x-b': '2' });
    assert.equal(seen[2]['x-c'], '3');
    assert.match(seen[2].baggage, /mellea\.session_id=s-2/);
    assert.throws(() => contextFetch(42), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.deepEqual(getCurrentContext(), {});
  });
});

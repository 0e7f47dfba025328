// mellea-context/http on real servers: node:http, Express 5, Fastify 5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { getCurrentContext, getRequestId, withContext } from 'mellea-context';
import { contextMiddleware, fastifyContext, withRequestContext } from 'mellea-context/http';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { lineSink } from './helpers/lines.mjs';
import { listen, request } from './helpers/servers.mjs';
import { primaryNodeOnly, TYPE_CHECK } from './helpers/node-matrix.mjs';

const FRESH_ID = /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/;
const tick = () => new Promise((r) => setTimeout(r, 1));

/**
 * The same service three times. Each request logs (one JSON line per step,
 * with the current context) at entry, in every req 'data', in req 'end',
 * after a timer, and in res 'finish'; the `n` query parameter names it.
 */
function makeServers(sink, options) {
  const log = (step, req) => sink.write(`${JSON.stringify({ step, n: new URL(req.url, 'http://x').searchParams.get('n'), ...getCurrentContext() })}\n`);
  const nodeHandler = (req, res) => {
    log('entry', req);
    req.on('data', () => log('data', req));
    req.on('end', async () => {
      log('end', req);
      await tick();
      log('timer', req);
      res.on('finish', () => log('finish', req));
      res.end(JSON.stringify(getCurrentContext()));
    });
  };
  // Express two ways: contextMiddleware() first in the chain, or the whole
  // app wrapped as a node:http listener (withRequestContext(app)).
  const expressApp = (middleware) => {
    const app = express();
    if (middleware) app.use(contextMiddleware(options));
    app.use(express.text({ type: '*/*' }));
    app.all('/{*path}', async (req, res) => {
      log('entry', req);
      await tick();
      log('timer', req);
      res.on('finish', () => log('finish', req));
      res.send(JSON.stringify({ ...getCurrentContext(), reqId: req.id }));
    });
    return app;
  };
  const fastify = Fastify();
  fastify.register(fastifyContext, options);
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  fastify.addHook('preHandler', async (request) => log('preHandler', request.raw));
  fastify.addHook('onResponse', async (request) => log('finish', request.raw));
  fastify.all('/*', async (request) => {
    log('entry', request.raw);
    await tick();
    log('timer', request.raw);
    return JSON.stringify(getCurrentContext());
  });
  return {
    'node:http': async () => listen(http.createServer(withRequestContext(nodeHandler, options))),
    express: async () => listen(http.createServer(expressApp(true))),
    'express (wrapped)': async () => listen(http.createServer(withRequestContext(expressApp(false), options))),
    fastify: async () => {
      await fastify.listen({ port: 0, host: '127.0.0.1' });
      return { url: `http://127.0.0.1:${fastify.server.address().port}`, close: () => fastify.close() };
    },
  };
}

/** The context a response carries; Express's also says req.id, which must be its request_id. */
function contextIn(res, kind) {
  const body = JSON.parse(res.body);
  if (kind.startsWith('express')) {
    assert.equal(body.reqId, body.request_id, `${kind}: req.id is the request id`);
    delete body.reqId;
  }
  return body;
}

function linesOf(sink, n) {
  return sink.records.filter((r) => r.n === String(n));
}

for (const kind of ['node:http', 'express', 'express (wrapped)', 'fastify']) {
  test(`${kind}: a fresh id per request, echoed, seen in the handler, in req data/end, after timers and at finish`, async () => {
    const sink = lineSink();
    const server = await makeServers(sink, undefined)[kind]();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ids = [];
      for (let n = 0; n < 3; n++) {
        const res = await request(`${server.url}/?n=${n}`, {
          method: 'POST', agent, chunks: ['a', 'b', 'c'],
          // Not trusted by default: neither may reach the scope.
          headers: { 'x-request-id': 'client-id', baggage: 'mellea.session_id=client' },
        });
        assert.equal(res.status, 200);
        const id = res.headers['x-request-id'];
        assert.match(id, FRESH_ID);
        assert.deepEqual(contextIn(res, kind), { request_id: id });
        ids.push(id);
        await tick();
        const lines = linesOf(sink, n);
        assert.ok(lines.some((l) => l.step === 'finish'), `${kind}: finish logged`);
        if (kind === 'node:http') assert.ok(lines.filter((l) => l.step === 'data').length >= 1);
        for (const line of lines) assert.equal(line.request_id, id, `${kind} step ${line.step}`);
      }
      assert.equal(new Set(ids).size, 3);
    } finally {
      agent.destroy();
      await server.close();
    }
  });

  test(`${kind}: trustInbound takes a valid inbound id and baggage fields, replaces bad ids without echoing them`, async () => {
    const sink = lineSink();
    const server = await makeServers(sink, { trustInbound: true })[kind]();
    try {
      const good = await request(`${server.url}/?n=1`, { headers: { 'x-request-id': 'A.b_c:d-1', baggage: 'mellea.session_id=s%201,mellea.model_id=m,x=y' } });
      assert.equal(good.headers['x-request-id'], 'A.b_c:d-1');
      assert.deepEqual(contextIn(good, kind), { session_id: 's 1', request_id: 'A.b_c:d-1', model_id: 'm' });
      const fromBaggage = await request(`${server.url}/?n=2`, { headers: { baggage: 'mellea.request_id=rid-from-baggage' } });
      assert.equal(fromBaggage.headers['x-request-id'], 'rid-from-baggage');
      for (const bad of ['has space', 'x'.repeat(129), '<script>', 'a,b', 'é', '']) {
        const res = await request(`${server.url}/?n=3`, { headers: { 'x-request-id': Buffer.from(bad).toString('latin1') } });
        assert.equal(res.status, 200);
        assert.match(res.headers['x-request-id'], FRESH_ID, JSON.stringify(bad));
        assert.equal(contextIn(res, kind).request_id, res.headers['x-request-id']);
      }
    } finally {
      await server.close();
    }
  });

  test(`${kind}: 200 concurrent keep-alive requests (and maxSockets: 1) never mix ids`, async () => {
    const sink = lineSink();
    const server = await makeServers(sink, { trustInbound: true })[kind]();
    const agents = [new http.Agent({ keepAlive: true, maxSockets: 10 }), new http.Agent({ keepAlive: true, maxSockets: 1 })];
    try {
      const results = await Promise.all(Array.from({ length: 200 }, (_, n) => {
        // Half the requests bring their own (trusted) id, half get a fresh one.
        const headers = n % 2 === 0 ? { 'x-request-id': `client-${n}` } : {};
        return request(`${server.url}/?n=${n}`, { method: 'POST', agent: agents[n % 4 === 3 ? 1 : 0], headers, chunks: ['x', 'y'] });
      }));
      await tick();
      results.forEach((res, n) => {
        const id = res.headers['x-request-id'];
        if (n % 2 === 0) assert.equal(id, `client-${n}`);
        else assert.match(id, FRESH_ID);
        assert.equal(contextIn(res, kind).request_id, id);
        const lines = linesOf(sink, n);
        assert.ok(lines.length >= 3, `${kind} request ${n}: ${lines.length} lines`);
        for (const line of lines) assert.equal(line.request_id, id, `${kind} request ${n} step ${line.step}`);
      });
      assert.equal(new Set(results.map((r) => r.headers['x-request-id'])).size, 200);
    } finally {
      for (const a of agents) a.destroy();
      await server.close();
    }
  });
}

test('fields(req) adds fields; a throwing or invalid fields(req) costs only the extras, reported to onError', async () => {
  const errors = [];
  const modes = {
    ok: () => ({ modelId: 'm-1', session_id: 'from-req', request_id: 'ignored' }),
    throws: () => { throw new Error('fields exploded'); },
    invalid: () => ({ model_id: 'bad\nvalue' }),
    unknown: () => ({ nope: 1 }),
    promise: async () => ({ model_id: 'late' }),
    none: () => undefined,
  };
  const handler = withRequestContext((req, res) => res.end(JSON.stringify(getCurrentContext())), {
    fields: (req) => modes[new URL(req.url, 'http://x').searchParams.get('mode')](req),
    onError: (error, req) => errors.push([new URL(req.url, 'http://x').searchParams.get('mode'), error.code]),
  });
  const server = await listen(http.createServer(handler));
  try {
    for (const mode of Object.keys(modes)) {
      const res = await request(`${server.url}/?mode=${mode}`);
      assert.equal(res.status, 200, mode);
      const body = JSON.parse(res.body);
      assert.equal(body.request_id, res.headers['x-request-id']);
      assert.match(body.request_id, FRESH_ID);
      if (mode === 'ok') assert.deepEqual(body, { session_id: 'from-req', request_id: body.request_id, model_id: 'm-1' });
      else assert.deepEqual(body, { request_id: body.request_id }, mode);
    }
    assert.deepEqual(errors, [
      ['throws', undefined],
      ['invalid', 'ERR_MELLEA_INVALID_VALUE'],
      ['unknown', 'ERR_MELLEA_UNKNOWN_FIELD'],
      ['promise', 'ERR_INVALID_ARG_TYPE'],
    ]);
  } finally {
    await server.close();
  }
});

test('without onError a failing fields(req) emits one process warning and requests still succeed', async () => {
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  const server = await listen(http.createServer(withRequestContext((req, res) => res.end('ok'), { fields: () => { throw new Error('nope'); } })));
  try {
    for (let i = 0; i < 3; i++) assert.equal((await request(server.url)).status, 200);
    await tick();
    assert.equal(warnings.filter((w) => w.code === 'MELLEA_HTTP_FIELDS').length, 1);
  } finally {
    process.off('warning', onWarning);
    await server.close();
  }
});

test('headerName and echo options; the server scope is the parent of request scopes', async () => {
  const server = await withContext({ model_id: 'service-model' }, () => listen(http.createServer(
    withRequestContext((req, res) => res.end(JSON.stringify(getCurrentContext())), { headerName: 'X-Correlation-Id', trustInbound: true }),
  )));
  const quiet = await listen(http.createServer(withRequestContext((req, res) => res.end(getRequestId()), { echo: false })));
  try {
    const res = await request(server.url, { headers: { 'x-correlation-id': 'corr-1', 'x-request-id': 'other' } });
    assert.equal(res.headers['x-correlation-id'], 'corr-1');
    assert.equal(res.headers['x-request-id'], undefined);
    assert.deepEqual(JSON.parse(res.body), { request_id: 'corr-1', model_id: 'service-model' });
    const q = await request(quiet.url);
    assert.equal(q.headers['x-request-id'], undefined);
    assert.match(q.body, FRESH_ID);
  } finally {
    await server.close();
    await quiet.close();
  }
});

test('node:http: the handler runs as the server\'s listener (this is the server, its return value kept) with and without a request-scope listener (ContextSpanProcessor)', async () => {
  const { ContextSpanProcessor } = await import('mellea-context/otel');
  const seen = [];
  const handler = withRequestContext(function (req, res) {
    seen.push(this === server && getRequestId() === req.id);
    res.end('ok');
    return 'kept';
  });
  const server = http.createServer((req, res) => seen.push(handler.call(server, req, res)));
  const app = express();
  app.use(contextMiddleware());
  app.get('/', (req, res) => res.end(String(getRequestId() === req.id)));
  const listening = await listen(server);
  const express1 = await listen(http.createServer(app));
  try {
    for (const withListener of [false, true]) {
      const processor = withListener ? new ContextSpanProcessor() : undefined;
      try {
        seen.length = 0;
        assert.equal((await request(listening.url)).body, 'ok');
        assert.deepEqual(seen, [true, 'kept'], `with a listener: ${withListener}`);
        assert.equal((await request(express1.url)).body, 'true', `Express, with a listener: ${withListener}`);
      } finally {
        await processor?.shutdown();
      }
    }
  } finally {
    await listening.close();
    await express1.close();
  }
});

test('Express: on Node 20 and 22 each request has an own `id` before Express swaps its prototype (contextMiddleware wraps its app\'s handle once); an id set before the app runs is kept', async () => {
  // V8 before 13 makes every property added after Express's swap a hidden
  // class of its own (bench/express-request.bench.mjs); on those Nodes the
  // middleware's first request installs the slot for the ones after it.
  const presets = Number.parseInt(process.versions.v8, 10) < 13;
  const app = express();
  const before = [];
  app.use((req, res, next) => {
    before.push({ own: Object.hasOwn(req, 'id'), id: req.id });
    next();
  });
  app.use(contextMiddleware());
  app.use(contextMiddleware()); // a second one on the same app: the request ends with its id
  app.get('/', (req, res) => res.end(JSON.stringify({ same: getRequestId() === req.id, id: req.id })));
  const server = await listen(http.createServer((req, res) => {
    if (req.headers['x-upstream'] !== undefined) req.id = req.headers['x-upstream'];
    app(req, res);
  }));
  try {
    for (let i = 0; i < 3; i++) {
      const res = await request(server.url);
      const body = JSON.parse(res.body);
      assert.equal(body.same, true);
      assert.match(body.id, FRESH_ID);
      assert.equal(res.headers['x-request-id'], body.id);
    }
    assert.deepEqual(before.slice(1), [{ own: presets, id: undefined }, { own: presets, id: undefined }]);
    const res = await request(server.url, { headers: { 'x-upstream': 'from-the-proxy' } });
    assert.deepEqual(before.at(-1), { own: true, id: 'from-the-proxy' });
    assert.equal(JSON.parse(res.body).same, true);
  } finally {
    await server.close();
  }
  assert.equal(app.handle.name, presets ? 'handleWithIdSlot' : 'handle');
});

test('Express: a response whose headers an earlier middleware sent already keeps them; the chain still runs in the request scope', async () => {
  const app = express();
  app.use((req, res, next) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-early': '1' });
    res.flushHeaders();
    next();
  });
  app.use(contextMiddleware());
  app.get('/', (req, res) => res.end(`${getRequestId() === req.id && FRESH_ID.test(req.id)}`));
  const server = await listen(http.createServer(app));
  try {
    const res = await request(server.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-early'], '1');
    assert.equal(res.headers['x-request-id'], undefined);
    assert.equal(res.body, 'true');
  } finally {
    await server.close();
  }
});

test('options are validated at construction with stable codes', async () => {
  const h = () => {};
  assert.throws(() => withRequestContext('nope'), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => withRequestContext(h, { trustinbound: true }), { code: 'ERR_MELLEA_UNKNOWN_OPTION' });
  assert.throws(() => contextMiddleware({ trustInbound: 'yes' }), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => contextMiddleware({ echo: 1 }), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => contextMiddleware({ headerName: 'bad header' }), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => contextMiddleware({ fields: {} }), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => contextMiddleware({ onError: 'log' }), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => contextMiddleware('x'), { code: 'ERR_INVALID_ARG_TYPE' });
  const fastify = Fastify();
  fastify.register(fastifyContext, { headername: 'x' });
  await assert.rejects(fastify.ready(), { code: 'ERR_MELLEA_UNKNOWN_OPTION' });
});

test('node:http: listeners on req and res can be listed and removed as usual; listeners added outside a scope are untouched', async () => {
  const seen = {};
  let outsideListener;
  const server = http.createServer(withRequestContext((req, res) => {
    const onData = () => { seen.removedRan = true; };
    const onEnd = () => {
      seen.endScope = getRequestId();
      res.end('ok');
    };
    req.on('data', onData);
    req.on('end', onEnd);
    seen.listed = req.listeners('end').includes(onEnd) && req.listeners('data').includes(onData);
    req.removeListener('data', onData);
    seen.dataAfterRemove = req.listenerCount('data');
    req.resume();
    seen.requestId = getRequestId();
  }));
  // A listener added with no scope current is the caller's own function.
  server.on('request', (req) => {
    outsideListener = () => {};
    withContext({}, () => req.on('close', outsideListener));
    seen.outsideIsOriginal = req.rawListeners('close').includes(outsideListener);
  });
  const { url, close } = await listen(server);
  try {
    const response = await request(`${url}/`, { method: 'POST', body: 'some body' });
    assert.equal(response.status, 200);
    assert.equal(seen.listed, true);
    assert.equal(seen.dataAfterRemove, 0);
    assert.equal(seen.removedRan, undefined);
    assert.match(seen.requestId, FRESH_ID);
    assert.equal(seen.endScope, seen.requestId);
    assert.equal(seen.outsideIsOriginal, true);
  } finally {
    await close();
  }
});

test('types: framework requests in fields(req), a typed Fastify plugin, exact options and fields (tests/types/http-types.ts)', { skip: primaryNodeOnly(TYPE_CHECK) }, async () => {
  // Every line after a @ts-expect-error must fail to compile (misspelt
  // options, misspelt fields, request_id); everything else must compile.
  const root = fileURLToPath(new URL('..', import.meta.url));
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  const args = [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck', 'tests/types/http-types.ts'];
  const output = await new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root }, (error, stdout, stderr) => resolve({ code: error?.code ?? 0, text: `${stdout}${stderr}` }));
  });
  assert.equal(output.text, '');
  assert.equal(output.code, 0);
});

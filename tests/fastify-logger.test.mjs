// Fastify 5 with its own logger: its "incoming request" and "request
// completed" lines carry the request's fields, under one id key whose value
// is request.id, the echoed x-request-id and getRequestId().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { getRequestId } from 'mellea-context';
import { pinoMixin, pinoOptions } from 'mellea-context/pino';
import { addRequestFields, fastifyContext, fastifyOptions } from 'mellea-context/http';
import { duplicateKeys, lineSink } from './helpers/lines.mjs';
import { listenFastify, request, until } from './helpers/servers.mjs';

const FRESH_ID = /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/;
const LOGGERS = {
  pinoOptions: (sink) => ({ ...pinoOptions(), stream: { write: sink.write } }),
  pinoMixin: (sink) => ({ mixin: pinoMixin, stream: { write: sink.write } }),
};

async function service(sink, hook, options, setup) {
  const app = Fastify({ logger: LOGGERS[hook](sink), ...fastifyOptions(options) });
  await app.register(fastifyContext);
  setup?.(app);
  app.addHook('onResponse', async (request) => request.log.info('onResponse'));
  app.get('/', async (request) => {
    await new Promise((r) => setTimeout(r, 1));
    request.log.info({ seen: getRequestId(), fastifyId: request.id }, 'handler');
    return 'ok';
  });
  return listenFastify(app);
}

for (const hook of Object.keys(LOGGERS)) {
  test(`${hook}: Fastify's own lines carry the fields, one request_id key equal to request.id and x-request-id`, async () => {
    const sink = lineSink();
    const server = await service(sink, hook, { fields: () => ({ model_id: 'm-7' }) });
    try {
      const res = await request(server.url);
      const id = res.headers['x-request-id'];
      assert.match(id, FRESH_ID);
      await until(() => sink.records.some((r) => r.msg === 'onResponse') && sink.records.some((r) => r.msg === 'request completed'), 5000, 'completion lines');
      const lines = sink.lines.filter((l) => !l.includes('Server listening'));
      const messages = lines.map((l) => JSON.parse(l).msg);
      assert.deepEqual(messages.sort(), ['handler', 'incoming request', 'onResponse', 'request completed']);
      for (const line of lines) {
        assert.deepEqual(duplicateKeys(line), [], line);
        const record = JSON.parse(line);
        assert.equal(record.request_id, id, record.msg);
        assert.equal(record.model_id, 'm-7', record.msg);
        assert.equal(record.reqId, undefined, 'no second id key');
      }
      const handler = JSON.parse(lines.find((l) => l.includes('"handler"')));
      assert.deepEqual([handler.seen, handler.fastifyId], [id, id]);
    } finally {
      await server.close();
    }
  });
}

test("requestIdLogLabel: 'reqId' keeps Fastify's key, with the same value as request_id", async () => {
  const sink = lineSink();
  const server = await service(sink, 'pinoOptions', { requestIdLogLabel: 'reqId' });
  try {
    const res = await request(server.url);
    const id = res.headers['x-request-id'];
    await until(() => sink.records.some((r) => r.msg === 'request completed'), 5000, 'completion line');
    for (const record of sink.records.filter((r) => r.req || r.res || r.msg === 'handler')) {
      assert.deepEqual([record.reqId, record.request_id], [id, id], record.msg);
    }
  } finally {
    await server.close();
  }
});

test('an async onRequest auth hook adds the session: the handler, later hooks and "request completed" carry it', async () => {
  const sink = lineSink();
  const server = await service(sink, 'pinoOptions', undefined, (app) => {
    app.addHook('onRequest', async (request) => {
      await new Promise((r) => setTimeout(r, 2));
      addRequestFields({ session_id: `s-${request.headers['x-user']}` });
    });
    app.addHook('preHandler', async (request) => request.log.info('preHandler'));
  });
  try {
    const results = await Promise.all(Array.from({ length: 20 }, (_, n) => request(server.url, { headers: { 'x-user': String(n) } })));
    await until(() => sink.records.filter((r) => r.msg === 'onResponse').length === 20 && sink.records.filter((r) => r.msg === 'request completed').length === 20, 5000, 'completion lines');
    results.forEach((res, n) => {
      const id = res.headers['x-request-id'];
      const lines = sink.records.filter((r) => r.request_id === id);
      assert.deepEqual(lines.map((r) => r.msg).sort(), ['handler', 'incoming request', 'onResponse', 'preHandler', 'request completed']);
      // Learned after "incoming request" was written: every later line has it.
      for (const record of lines.filter((r) => r.msg !== 'incoming request')) assert.equal(record.session_id, `s-${n}`, `${record.msg} of request ${n}`);
    });
  } finally {
    await server.close();
  }
});

test('an async preHandler auth hook (the last step before the handler): the handler still runs with its fields', async () => {
  const sink = lineSink();
  const server = await service(sink, 'pinoMixin', undefined, (app) => {
    app.addHook('preHandler', async (request) => {
      await new Promise((r) => setTimeout(r, 1));
      addRequestFields({ session_id: `s-${request.headers['x-user']}` });
    });
  });
  try {
    const results = await Promise.all(Array.from({ length: 10 }, (_, n) => request(server.url, { headers: { 'x-user': String(n) } })));
    await until(() => sink.records.filter((r) => r.msg === 'request completed').length === 10, 5000, 'completion lines');
    results.forEach((res, n) => {
      const id = res.headers['x-request-id'];
      const handler = sink.records.find((r) => r.msg === 'handler' && r.request_id === id);
      assert.equal(handler.session_id, `s-${n}`);
      assert.equal(sink.records.find((r) => r.msg === 'request completed' && r.request_id === id).session_id, `s-${n}`);
    });
  } finally {
    await server.close();
  }
});

test('options go to fastifyOptions(); giving them to the plugin as well is refused; bad options refused at construction', async () => {
  const app = Fastify({ ...fastifyOptions() });
  app.register(fastifyContext, { echo: false });
  await assert.rejects(app.ready(), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => fastifyOptions({ requestIdLogLabel: 'has space' }), { code: 'ERR_MELLEA_INVALID_OPTION' });
  assert.throws(() => fastifyOptions({ trustinbound: true }), { code: 'ERR_MELLEA_UNKNOWN_OPTION' });
});

test("the app's Fastify, passed as fastify (default export or namespace), is the one whose LogController is used; anything else is refused", async () => {
  const namespace = await import('fastify');
  for (const [what, given] of [['default export', Fastify], ['namespace', namespace]]) {
    const options = fastifyOptions({ fastify: given });
    assert.ok(options.logController instanceof Fastify.LogController, what);
    const sink = lineSink();
    const app = Fastify({ logger: LOGGERS.pinoOptions(sink), ...options });
    await app.register(fastifyContext);
    app.get('/', async () => 'ok');
    const res = await app.inject({ url: '/' });
    await app.close();
    const incoming = sink.records.find((r) => r.msg === 'incoming request');
    assert.equal(incoming?.request_id, res.headers['x-request-id'], what);
  }
  // Not Fastify: an app instance, a module name, a plain object, null.
  for (const wrong of [Fastify(), 'fastify', { LogController: class {} }, null]) {
    assert.throws(() => fastifyOptions({ fastify: wrong }), { code: 'ERR_MELLEA_INVALID_OPTION', message: /fastify must be the app's Fastify module/ });
  }
});

test("disableRequestLogging goes to the LogController: Fastify's own request lines are left out (all, or per request), the app's lines keep their fields", async () => {
  for (const [setting, quiet] of [[true, ['/', '/quiet']], [(req) => req.url === '/quiet', ['/quiet']]]) {
    const sink = lineSink();
    const app = Fastify({ logger: LOGGERS.pinoOptions(sink), ...fastifyOptions({ fastify: Fastify, disableRequestLogging: setting, fields: () => ({ model_id: 'm-q' }) }) });
    await app.register(fastifyContext);
    app.get('/', async (request) => { request.log.info('handler'); return 'ok'; });
    app.get('/quiet', async (request) => { request.log.info('handler'); return 'ok'; });
    const ids = {};
    for (const url of ['/', '/quiet']) ids[url] = (await app.inject({ url })).headers['x-request-id'];
    await app.close();
    for (const url of ['/', '/quiet']) {
      const mine = sink.records.filter((r) => r.request_id === ids[url]);
      const expected = quiet.includes(url) ? ['handler'] : ['handler', 'incoming request', 'request completed'];
      assert.deepEqual(mine.map((r) => r.msg).sort(), expected, `${typeof setting} ${url}`);
      for (const r of mine) assert.equal(r.model_id, 'm-q');
    }
  }
  assert.throws(() => fastifyOptions({ disableRequestLogging: 'yes' }), { code: 'ERR_MELLEA_INVALID_OPTION' });
});

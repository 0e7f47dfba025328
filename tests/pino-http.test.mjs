// Express 5 + pino-http, as services run them: one request id on every line
// (req.id, pino-http's reqId binding, request_id, the echoed x-request-id,
// getRequestId()), whichever pino hook carries the fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import express from 'express';
import pino from 'pino';
import pinoHttp from 'pino-http';
import { getRequestId } from 'mellea-context';
import { pinoMixin, pinoOptions } from 'mellea-context/pino';
import { contextMiddleware, pinoHttpOptions } from 'mellea-context/http';
import { duplicateKeys, lineSink } from './helpers/lines.mjs';
import { listen, request, until } from './helpers/servers.mjs';

const FRESH_ID = /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/;
const HOOKS = {
  pinoOptions: (sink) => pino({ ...pinoOptions() }, { write: sink.write }),
  pinoMixin: (sink) => pino({ mixin: pinoMixin }, { write: sink.write }),
};

/** Express app: contextMiddleware, pino-http (built by `httpLogger(logger)`), a handler logging once. */
async function service(sink, hook, httpLogger, { order = 'context-first', context } = {}) {
  const logger = HOOKS[hook](sink);
  const app = express();
  const mw = [contextMiddleware(context), httpLogger(logger)];
  for (const m of order === 'context-first' ? mw : mw.reverse()) app.use(m);
  app.get('/', async (req, res) => {
    await new Promise((r) => setTimeout(r, 1));
    req.log.info({ seen: getRequestId(), reqIdProp: req.id }, 'handler');
    res.send('ok');
  });
  return listen(http.createServer(app));
}

function linesFor(sink, id) {
  return sink.lines.filter((line) => line.includes(id));
}

for (const hook of Object.keys(HOOKS)) {
  test(`${hook}: pino-http's default setup logs one id per request (req.id, request_id, x-request-id, getRequestId())`, async () => {
    const sink = lineSink();
    const server = await service(sink, hook, (logger) => pinoHttp({ logger }));
    try {
      const ids = [];
      for (let n = 0; n < 5; n++) {
        const res = await request(server.url, { headers: { 'x-request-id': 'client-says' } });
        const id = res.headers['x-request-id'];
        assert.match(id, FRESH_ID);
        ids.push(id);
      }
      await until(() => sink.records.filter((r) => r.msg === 'request completed').length === 5, 5000, 'completion lines');
      for (const id of ids) {
        const lines = linesFor(sink, id);
        assert.equal(lines.length, 2, `handler + completed for ${id}`);
        for (const line of lines) {
          assert.deepEqual(duplicateKeys(line), [], line);
          const record = JSON.parse(line);
          assert.equal(record.request_id, id);
          assert.equal(record.req.id, id, 'pino-http req.id is the context id');
          if (record.msg === 'handler') assert.deepEqual([record.seen, record.reqIdProp], [id, id]);
        }
      }
      // The untrusted client id stays in the logged request headers only.
      for (const record of sink.records) assert.notEqual(record.req.id, 'client-says');
    } finally {
      await server.close();
    }
  });

  test(`${hook}: pinoHttpOptions() with customAttributeKeys.reqId 'request_id' and quietReqLogger: one request_id key, the context's`, async () => {
    const sink = lineSink();
    const server = await service(sink, hook, (logger) => pinoHttp({
      logger, quietReqLogger: true, customAttributeKeys: { reqId: 'request_id' }, ...pinoHttpOptions(),
    }));
    try {
      const res = await request(server.url);
      const id = res.headers['x-request-id'];
      await until(() => sink.records.some((r) => r.msg === 'request completed'), 5000, 'completion line');
      const lines = linesFor(sink, id);
      assert.equal(lines.length, 2);
      for (const line of lines) {
        assert.deepEqual(duplicateKeys(line), [], line);
        assert.equal(JSON.parse(line).request_id, id);
      }
    } finally {
      await server.close();
    }
  });
}

test('pino-http before contextMiddleware, with pinoHttpOptions(): still one id (the middleware reuses the one pino-http asked for)', async () => {
  const sink = lineSink();
  const server = await service(sink, 'pinoOptions', (logger) => pinoHttp({ logger, ...pinoHttpOptions() }), { order: 'logger-first' });
  try {
    const res = await request(server.url);
    const id = res.headers['x-request-id'];
    assert.match(id, FRESH_ID);
    await until(() => sink.records.some((r) => r.msg === 'request completed'), 5000, 'completion line');
    const handler = sink.records.find((r) => r.msg === 'handler');
    assert.deepEqual([handler.request_id, handler.req.id, handler.seen, handler.reqIdProp], [id, id, id, id]);
    assert.equal(sink.records.find((r) => r.msg === 'request completed').req.id, id);
  } finally {
    await server.close();
  }
});

test('a trusted caller id (requestId: "adopt") is the id pino-http logs and the one echoed; pinoHttpOptions takes no options', async () => {
  const sink = lineSink();
  const server = await service(sink, 'pinoOptions', (logger) => pinoHttp({ logger, ...pinoHttpOptions() }), {
    context: { trustInbound: { requestId: 'adopt' } },
  });
  try {
    const res = await request(server.url, { headers: { 'x-request-id': 'edge-123' } });
    assert.equal(res.headers['x-request-id'], 'edge-123');
    await until(() => sink.records.some((r) => r.msg === 'request completed'), 5000, 'completion line');
    for (const record of sink.records) assert.deepEqual([record.request_id, record.req.id], ['edge-123', 'edge-123']);
  } finally {
    await server.close();
  }
  assert.throws(() => pinoHttpOptions({ genReqId: () => 1 }), { code: 'ERR_MELLEA_UNKNOWN_OPTION' });
});

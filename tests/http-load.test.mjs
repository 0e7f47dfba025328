// 500 concurrent requests per framework, with random awaits, an auth step
// that resolves after an await, and some streaming responses the client
// aborts: every line of a request carries exactly its own id and session,
// and the request has one id everywhere (req.id / Fastify's request.id, the
// logged id keys, x-request-id, getRequestId()).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import pino from 'pino';
import pinoHttp from 'pino-http';
import { getRequestId, getSessionId } from 'mellea-context';
import { pinoOptions } from 'mellea-context/pino';
import { addRequestFields, contextMiddleware, fastifyContext, fastifyOptions, pinoHttpOptions } from 'mellea-context/http';
import { duplicateKeys, lineSink } from './helpers/lines.mjs';
import { listen, listenFastify, openAndAbort, request, until } from './helpers/servers.mjs';

const COUNT = 500;
const ABORT_EVERY = 10; // every tenth request is a stream the client hangs up on
const pause = () => new Promise((r) => (Math.random() < 0.3 ? setImmediate(r) : setTimeout(r, Math.floor(Math.random() * 4))));
const sessionOf = (user) => `session-${user}`;

async function authenticate(user) {
  await pause();
  await pause();
  return sessionOf(user);
}

async function handle(log, reqIdSeen, user, stream, res, write) {
  await pause();
  log.info({ user, seenId: getRequestId(), seenSession: getSessionId(), reqIdSeen }, 'handler');
  if (stream) {
    write(`data: ${getRequestId()}\n\n`);
    const timer = setInterval(() => write('data: tick\n\n'), 5);
    res.on('close', () => clearInterval(timer));
    return undefined;
  }
  await pause();
  log.info({ user }, 'handler done');
  return `${getRequestId()} ${getSessionId()}`;
}

const SERVICES = {
  'express + pino-http': async (sink) => {
    const app = express();
    app.use(contextMiddleware());
    app.use(pinoHttp({ logger: pino({ ...pinoOptions() }, { write: sink.write }), ...pinoHttpOptions() }));
    app.use(async (req, res, next) => {
      addRequestFields({ session_id: await authenticate(req.headers['x-user']) });
      next();
    });
    app.get('/{*path}', async (req, res) => {
      const stream = req.path === '/stream';
      if (stream) res.writeHead(200, { 'content-type': 'text/event-stream' });
      const body = await handle(req.log, req.id, req.headers['x-user'], stream, res, (t) => res.write(t));
      if (!stream) res.send(body);
    });
    return listen(http.createServer(app));
  },
  'fastify + its logger': async (sink) => {
    const app = Fastify({ logger: { ...pinoOptions(), stream: { write: sink.write } }, ...fastifyOptions() });
    await app.register(fastifyContext);
    app.addHook('onRequest', async (request) => {
      addRequestFields({ session_id: await authenticate(request.headers['x-user']) });
    });
    app.get('/*', async (request, reply) => {
      const stream = request.url.startsWith('/stream');
      if (stream) {
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': request.id });
      }
      return handle(request.log, request.id, request.headers['x-user'], stream, reply.raw, (t) => reply.raw.write(t));
    });
    return listenFastify(app);
  },
};

for (const [name, start] of Object.entries(SERVICES)) {
  test(`${name}: ${COUNT} concurrent requests, auth after awaits, aborted streams: each line carries its own id and session`, async () => {
    const sink = lineSink();
    const server = await start(sink);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    try {
      const results = await Promise.all(Array.from({ length: COUNT }, async (_, user) => {
        const headers = { 'x-user': String(user) };
        if (user % ABORT_EVERY === 0) {
          const opened = await openAndAbort(`${server.url}/stream`, { headers });
          return { user, id: opened.headers['x-request-id'], body: opened.first, stream: true };
        }
        const res = await request(`${server.url}/chat`, { headers, agent });
        assert.equal(res.status, 200);
        return { user, id: res.headers['x-request-id'], body: res.body };
      }));
      const ids = new Set(results.map((r) => r.id));
      assert.equal(ids.size, COUNT, 'one distinct id per request');
      const finals = (r) => r.msg === 'request completed' || r.msg === 'request aborted' || r.msg === 'stream closed prematurely';
      await until(() => sink.records.filter((r) => r.msg === 'handler').length === COUNT, 10000, 'handler lines');
      if (name.startsWith('express')) await until(() => sink.records.filter(finals).length === COUNT, 10000, 'completion lines');
      const records = sink.records.filter((r) => r.request_id !== undefined);
      for (const line of sink.lines) assert.deepEqual(duplicateKeys(line), [], line);
      const byId = new Map();
      for (const record of records) {
        if (!byId.has(record.request_id)) byId.set(record.request_id, []);
        byId.get(record.request_id).push(record);
      }
      for (const { user, id, body, stream } of results) {
        const lines = byId.get(id) ?? [];
        if (stream) assert.equal(body, `data: ${id}\n\n`);
        else assert.equal(body, `${id} ${sessionOf(user)}`);
        const handler = lines.find((r) => r.msg === 'handler');
        assert.ok(handler, `handler line of request ${user}`);
        assert.deepEqual([handler.user, handler.seenId, handler.reqIdSeen, handler.seenSession], [String(user), id, id, sessionOf(user)]);
        for (const record of lines) {
          if (record.user !== undefined) assert.equal(record.user, String(user), `${record.msg} of request ${user} is its own`);
          if (record.req?.id !== undefined) assert.equal(record.req.id, id, `${record.msg}: req.id`);
          if (record.msg === 'incoming request') continue; // written before auth ran
          assert.equal(record.session_id, sessionOf(user), `${name}: "${record.msg}" of request ${user}`);
        }
        if (name.startsWith('express')) assert.ok(lines.some(finals), `completion line of request ${user}`);
        else if (!stream) assert.ok(lines.some((r) => r.msg === 'request completed'), `completion line of request ${user}`);
      }
    } finally {
      agent.destroy();
      await server.close();
    }
  });
}

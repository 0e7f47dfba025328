// Fields learned during a request (auth after an await) reach every later
// line of that request, including pino-http's completion and abort lines
// whose listeners were bound before auth ran; per-field trust of inbound
// context; generated ids whole under any maxValueBytes; the request hooks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import express from 'express';
import pino from 'pino';
import pinoHttp from 'pino-http';
import { configure, getCurrentContext, getRequestId, getSessionId, withContext, enterContext } from 'mellea-context';
import { pinoOptions } from 'mellea-context/pino';
import { addRequestFields, contextMiddleware, getInboundRequestId, withRequestContext } from 'mellea-context/http';
import { lineSink } from './helpers/lines.mjs';
import { listen, openAndAbort, request, until } from './helpers/servers.mjs';
import { storedJson } from './helpers/internals.mjs';

const require = createRequire(import.meta.url);
const { onRequestScope } = require('../dist/cjs/request-hooks.js');
const FRESH_ID = /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Express + pino-http + an auth middleware that knows the user only after an await. */
function authService(sink) {
  const app = express();
  app.use(contextMiddleware());
  app.use(pinoHttp({ logger: pino({ ...pinoOptions() }, { write: sink.write }) }));
  app.use(async (req, res, next) => {
    await sleep(1 + (Number(req.headers['x-user']) % 3));
    addRequestFields({ session_id: `session-${req.headers['x-user']}` });
    next();
  });
  app.get('/chat', async (req, res) => {
    await sleep(1);
    req.log.info('handler');
    res.send(JSON.stringify(getCurrentContext()));
  });
  app.get('/stream', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${getSessionId()}\n\n`);
    const timer = setInterval(() => res.write('data: tick\n\n'), 5);
    res.on('close', () => clearInterval(timer));
  });
  return listen(http.createServer(app));
}

test('60 requests with auth after an await: "request completed" lines carry their own session and id', async () => {
  const sink = lineSink();
  const server = await authService(sink);
  try {
    const results = await Promise.all(Array.from({ length: 60 }, (_, n) => request(`${server.url}/chat`, { headers: { 'x-user': String(n) } })));
    await until(() => sink.records.filter((r) => r.msg === 'request completed').length === 60, 5000, 'completion lines');
    results.forEach((res, n) => {
      const id = res.headers['x-request-id'];
      assert.deepEqual(JSON.parse(res.body), { session_id: `session-${n}`, request_id: id });
      const lines = sink.records.filter((r) => r.req?.id === id);
      assert.deepEqual(lines.map((r) => r.msg).sort(), ['handler', 'request completed']);
      for (const record of lines) assert.deepEqual([record.request_id, record.session_id], [id, `session-${n}`], record.msg);
    });
  } finally {
    await server.close();
  }
});

test('SSE responses the client aborts: "request aborted" lines carry the id and the session learned after auth', async () => {
  const sink = lineSink();
  const server = await authService(sink);
  try {
    const opened = await Promise.all(Array.from({ length: 10 }, (_, n) => openAndAbort(`${server.url}/stream`, { headers: { 'x-user': String(n) } })));
    await until(() => sink.records.filter((r) => r.msg === 'request aborted').length === 10, 5000, 'abort lines');
    opened.forEach((res, n) => {
      assert.equal(res.first, `data: session-${n}\n\n`);
      const id = res.headers['x-request-id'];
      const aborted = sink.records.find((r) => r.msg === 'request aborted' && r.req.id === id);
      assert.ok(aborted, `abort line of request ${n}`);
      assert.deepEqual([aborted.request_id, aborted.session_id], [id, `session-${n}`]);
    });
  } finally {
    await server.close();
  }
});

test('node:http: a res "finish" listener added before addRequestFields runs with the added fields; nested scopes keep theirs', async () => {
  const seen = [];
  const server = await listen(http.createServer(withRequestContext(async (req, res) => {
    res.on('finish', () => seen.push(['finish', getCurrentContext()]));
    await sleep(1);
    withContext({ model_id: 'nested' }, () => {
      res.on('close', () => seen.push(['close-nested', getCurrentContext()]));
    });
    addRequestFields({ sessionId: 'late' });
    seen.push(['after', getCurrentContext()]);
    await sleep(1);
    seen.push(['continuation', getCurrentContext()]);
    res.end('ok');
  })));
  try {
    const res = await request(server.url);
    const id = res.headers['x-request-id'];
    await until(() => seen.length === 4, 2000, 'listeners');
    const byStep = Object.fromEntries(seen);
    assert.deepEqual(byStep.after, { session_id: 'late', request_id: id });
    assert.deepEqual(byStep.continuation, { session_id: 'late', request_id: id });
    assert.deepEqual(byStep.finish, { session_id: 'late', request_id: id });
    // Added inside a withContext of its own: that scope, as bindEmitter promises.
    assert.deepEqual(byStep['close-nested'], { request_id: id, model_id: 'nested' });
  } finally {
    await server.close();
  }
});

test('addRequestFields validates before changing anything, refuses request_id, and needs the request\'s scope', async () => {
  const outcomes = {};
  const server = await listen(http.createServer(withRequestContext((req, res) => {
    const before = getCurrentContext();
    for (const [name, fields] of Object.entries({
      invalid: { session_id: 'ok', model_id: 'bad\nvalue' },
      unknown: { sesion_id: 'x' },
      requestId: { requestId: 'mine' },
      notObject: 42,
    })) {
      try {
        addRequestFields(fields);
        outcomes[name] = 'accepted';
      } catch (error) {
        outcomes[name] = error.code;
      }
    }
    outcomes.unchanged = JSON.stringify(getCurrentContext()) === JSON.stringify(before);
    addRequestFields({ session_id: 'with-req' }, req);
    outcomes.withReq = getCurrentContext();
    // Inside a scope the application entered itself: the request's "latest
    // scope" could not be kept apart from it, so this is refused.
    enterContext({ model_id: 'app' });
    try {
      addRequestFields({ session_id: 'x' });
    } catch (error) {
      outcomes.nested = error.code;
    }
    outcomes.nestedUnchanged = getCurrentContext().session_id === 'with-req';
    res.end('ok');
  })));
  try {
    const res = await request(server.url);
    assert.deepEqual(outcomes, {
      invalid: 'ERR_MELLEA_INVALID_VALUE',
      unknown: 'ERR_MELLEA_UNKNOWN_FIELD',
      requestId: 'ERR_MELLEA_INVALID_VALUE',
      notObject: 'ERR_INVALID_ARG_TYPE',
      unchanged: true,
      withReq: { session_id: 'with-req', request_id: res.headers['x-request-id'] },
      nested: 'ERR_MELLEA_NO_REQUEST',
      nestedUnchanged: true,
    });
  } finally {
    await server.close();
  }
  assert.throws(() => addRequestFields({ session_id: 's' }), { code: 'ERR_MELLEA_NO_REQUEST' });
  assert.throws(() => addRequestFields({ session_id: 's' }, 'req'), { code: 'ERR_INVALID_ARG_TYPE' });
});

function trustService(trustInbound) {
  return listen(http.createServer(withRequestContext((req, res) => {
    res.end(JSON.stringify({ context: getCurrentContext(), inbound: getInboundRequestId() ?? null, reqId: req.id }));
  }, { trustInbound })));
}

const CALLER = { 'x-request-id': 'caller-id-1', baggage: 'mellea.session_id=s-caller,mellea.model_id=m-caller,mellea.sampling_iteration=3' };

test('per-field trust: take the session and model from the caller, mint the request id here, keep the caller id as the parent', async () => {
  const cases = [
    [{ fields: ['session_id', 'modelId'] }, { session_id: 's-caller', model_id: 'm-caller' }, 'caller-id-1', 'fresh'],
    [{ fields: ['session_id'], requestId: 'adopt' }, { session_id: 's-caller' }, null, 'caller-id-1'],
    [{ fields: [], requestId: 'ignore' }, {}, null, 'fresh'],
    [{}, {}, 'caller-id-1', 'fresh'],
    [false, {}, null, 'fresh'],
    // The first release's all-or-nothing form keeps working as documented then.
    [true, { session_id: 's-caller', model_id: 'm-caller', sampling_iteration: 3 }, null, 'caller-id-1'],
  ];
  for (const [trust, fields, inbound, idKind] of cases) {
    const server = await trustService(trust);
    try {
      const res = await request(server.url, { headers: CALLER });
      const body = JSON.parse(res.body);
      const id = res.headers['x-request-id'];
      if (idKind === 'fresh') assert.match(id, FRESH_ID, JSON.stringify(trust));
      else assert.equal(id, idKind);
      assert.deepEqual(body.context, { ...fields, request_id: id }, JSON.stringify(trust));
      assert.equal(body.inbound, inbound, JSON.stringify(trust));
      assert.equal(body.reqId, id);
      // A bad caller id is never kept, as parent or otherwise.
      const bad = JSON.parse((await request(server.url, { headers: { 'x-request-id': 'has space' } })).body);
      assert.equal(bad.inbound, null);
    } finally {
      await server.close();
    }
  }
});

test('per-field trust options are validated at construction', () => {
  const h = () => {};
  for (const [trust, code] of [
    [{ fields: ['sesion_id'] }, 'ERR_MELLEA_INVALID_OPTION'],
    [{ fields: ['request_id'] }, 'ERR_MELLEA_INVALID_OPTION'],
    [{ fields: 'session_id' }, 'ERR_MELLEA_INVALID_OPTION'],
    [{ requestId: 'keep' }, 'ERR_MELLEA_INVALID_OPTION'],
    [{ field: ['session_id'] }, 'ERR_MELLEA_UNKNOWN_OPTION'],
    ['yes', 'ERR_MELLEA_INVALID_OPTION'],
    [['session_id'], 'ERR_MELLEA_INVALID_OPTION'],
  ]) {
    assert.throws(() => withRequestContext(h, { trustInbound: trust }), { code }, JSON.stringify(trust));
  }
});

test('configure({ maxValueBytes: 4 }): generated request ids stay whole and unique, and logging and the C++ store accept them', async () => {
  const sink = lineSink();
  const logger = pino({ ...pinoOptions() }, { write: sink.write });
  const server = await listen(http.createServer(withRequestContext((req, res) => {
    logger.info('line');
    // The C++ store holds the request's scope too (the id is not cut or refused there).
    res.end(storedJson());
  })));
  configure({ maxValueBytes: 4 });
  try {
    const ids = [];
    for (let batch = 0; batch < 6; batch++) {
      const results = await Promise.all(Array.from({ length: 50 }, () => request(server.url)));
      for (const res of results) {
        const id = res.headers['x-request-id'];
        assert.match(id, FRESH_ID);
        assert.equal(JSON.parse(res.body).request_id, id);
        ids.push(id);
      }
    }
    assert.equal(new Set(ids).size, 300);
    assert.deepEqual(sink.records.map((r) => r.request_id).sort(), [...ids].sort());
    // A caller id kept as the parent is not a field: the limit does not cut it either.
    const trusting = await trustService({});
    try {
      const body = JSON.parse((await request(trusting.url, { headers: { 'x-request-id': 'caller-id-1' } })).body);
      assert.equal(body.inbound, 'caller-id-1');
      assert.match(body.context.request_id, FRESH_ID);
    } finally {
      await trusting.close();
    }
  } finally {
    configure({ maxValueBytes: 256 });
    await server.close();
  }
});

test('request hooks: "start" inside the new scope with the caller id, "fields" after addRequestFields; a failing listener fails nothing', async () => {
  const events = [];
  const offs = [
    onRequestScope((scope, req, info) => events.push({ phase: info.phase, inbound: info.inboundRequestId, current: getRequestId(), session: getSessionId(), reqId: req.id, scopeId: scope.values[1] })),
    onRequestScope(() => { throw new Error('listener bug'); }),
  ];
  const server = await listen(http.createServer(withRequestContext((req, res) => {
    addRequestFields({ session_id: 'hooked' });
    res.end('ok');
  }, { trustInbound: { fields: [] } })));
  try {
    const res = await request(server.url, { headers: { 'x-request-id': 'up-1' } });
    assert.equal(res.status, 200);
    const id = res.headers['x-request-id'];
    assert.deepEqual(events, [
      { phase: 'start', inbound: 'up-1', current: id, session: undefined, reqId: id, scopeId: id },
      { phase: 'fields', inbound: 'up-1', current: id, session: 'hooked', reqId: id, scopeId: id },
    ]);
  } finally {
    for (const off of offs) off();
    await server.close();
  }
  events.length = 0;
  const quiet = await listen(http.createServer(withRequestContext((req, res) => res.end('ok'))));
  try {
    await request(quiet.url);
    assert.equal(events.length, 0, 'unsubscribed');
  } finally {
    await quiet.close();
  }
});

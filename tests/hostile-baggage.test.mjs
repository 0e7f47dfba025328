// Malformed and hostile baggage and request ids against a trusting service
// that logs every request and calls onward with injectHeaders: every request
// gets 200, good members survive, nothing hostile reaches a log line or an
// outbound header (Sentry JS #16251: %3G crashed Fastify with a URIError;
// dd-trace-js #5159: a decoded %0A re-sent in a header gave ERR_INVALID_CHAR).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import Fastify from 'fastify';
import { getCurrentContext } from 'mellea-context';
import { fastifyContext, injectHeaders, withRequestContext } from 'mellea-context/http';
import { lineSink } from './helpers/lines.mjs';
import { listen, rawRequest, request } from './helpers/servers.mjs';
import { CLEAR } from './helpers/outbound.mjs';

const GOOD = 'mellea.model_id=good';
const members200 = Array.from({ length: 200 }, (_, i) => `k${i}=v${i}`).join(',');
// [name, baggage header value(s), x-request-id]
const CASES = [
  ['%3G', `mellea.session_id=%3G,${GOOD}`],
  ['100%', `mellea.session_id=100%,${GOOD}`],
  ['%FF', `mellea.session_id=%FF,${GOOD}`],
  ['%0D%0A', `mellea.session_id=a%0D%0Ax-evil:%201,${GOOD}`],
  ['%1B[31m', `mellea.session_id=%1B[31mred,${GOOD}`],
  ['missing =', `mellea.session_id,${GOOD}`],
  ['=v', `=v,${GOOD}`],
  [',,,', `,,,${GOOD},,,`],
  ['tabs', `\tmellea.session_id\t=\tsess\t,\t${GOOD}\t`, undefined, { session_id: 'sess' }],
  ['duplicates', `mellea.model_id=first,${GOOD}`],
  ['200 members', `${GOOD},${members200}`],
  ['12 KiB value', `${GOOD},big=${'x'.repeat(12 * 1024)}`],
  ['12 KiB field value', `${GOOD},mellea.session_id=${'y'.repeat(12 * 1024)}`],
  ['repeated headers', [`mellea.session_id=%3G`, GOOD, 'mellea.request_id=%0A']],
  ['NUL, DEL, C1', `mellea.session_id=a%00b,mellea.request_id=a%7Fb,mellea.sampling_iteration=%C2%851,${GOOD}`],
  ['bad integers', `mellea.sampling_iteration=-1,mellea.sampling_iteration=1e3,${GOOD}`, undefined, {}],
  ['request id CRLF', GOOD, 'abc%0D%0Ax'],
  ['request id ANSI, raw', GOOD, 'abc\u001b[31m'],
  ['request id C1, raw UTF-8 bytes', GOOD, 'a\u00c2\u0085b'],
  ['baggage raw UTF-8 bytes', `mellea.session_id=caf\u00c3\u00a9,${GOOD}`],
  ['request id too long', GOOD, 'r'.repeat(129)],
  ['request id spaces', GOOD, 'a b'],
];
// Characters that must never appear in a log value or an outbound header value.
const HOSTILE = /[\u0000-\u001f\u007f-\u009f\u00c2]|%0[AD]|%1B|x-evil/i;

function checkClean(text, where) {
  assert.doesNotMatch(text, HOSTILE, where);
}

for (const kind of ['node:http', 'fastify']) {
  test(`${kind}: hostile baggage and ids never fail a request, never reach a log line or an outbound header`, async () => {
    const sink = lineSink();
    const outbound = [];
    // Downstream service: records exactly the header values it receives.
    const downstream = await listen(http.createServer((req, res) => {
      outbound.push({ baggage: req.headers.baggage, raw: req.rawHeaders.join(' | ') });
      res.end();
    }));
    async function work(res) {
      sink.write(`${JSON.stringify({ msg: 'handled', ...getCurrentContext() })}\n`);
      const down = await fetch(downstream.url, { headers: injectHeaders({ 'content-type': 'text/plain' }, CLEAR) });
      await down.arrayBuffer();
      return JSON.stringify(getCurrentContext());
    }
    let server;
    if (kind === 'node:http') {
      server = await listen(http.createServer(withRequestContext(async (req, res) => res.end(await work(res)), { trustInbound: true })));
    } else {
      const app = Fastify();
      app.register(fastifyContext, { trustInbound: true });
      app.get('/', async () => work());
      await app.listen({ port: 0, host: '127.0.0.1' });
      server = { url: `http://127.0.0.1:${app.server.address().port}`, close: () => app.close() };
    }
    try {
      for (const [name, baggage, requestId, expectSome] of CASES) {
        const headers = { baggage };
        if (requestId !== undefined) headers['x-request-id'] = requestId;
        // Values node's client refuses to send go byte for byte on a socket.
        const raw = /[^\t\x20-\x7e]/.test(`${baggage}${requestId ?? ''}`);
        const res = raw
          ? await rawRequest(new URL(server.url).port, Object.entries(headers).map(([k, v]) => `${k}: ${v}`))
          : await request(server.url, { headers });
        if (res.status === 400 && /[\x00-\x08\x0a-\x1f\x7f]/.test(requestId ?? '')) {
          // node's parser refuses C0 and DEL in header values before any handler runs.
          outbound.push(null);
          continue;
        }
        assert.equal(res.status, 200, name);
        const body = JSON.parse(res.body);
        // The good member survives, whatever came with it.
        assert.equal(body.model_id, expectSome?.model_id ?? 'good', name);
        if (expectSome?.session_id) assert.equal(body.session_id, expectSome.session_id, name);
        assert.match(res.headers['x-request-id'], /^[A-Za-z0-9._:-]{1,128}$/, name);
        assert.equal(body.request_id, res.headers['x-request-id'], name);
        if (requestId !== undefined) assert.notEqual(res.headers['x-request-id'], requestId, name);
        for (const value of Object.values(body)) checkClean(String(value), name);
      }
      assert.equal(outbound.length, CASES.length);
      for (const [i, sent] of outbound.entries()) {
        if (sent === null) continue;
        checkClean(sent.raw, CASES[i][0]);
        assert.match(sent.baggage, /(^|,)mellea\.model_id=good(,|$)/, CASES[i][0]);
        assert.ok(Buffer.byteLength(sent.baggage) <= 8192);
      }
      for (const line of sink.lines) checkClean(line, 'log line');
    } finally {
      await server.close();
      await downstream.close();
    }
  });
}

test('past 16 KiB of headers node itself answers 431; the server keeps serving', async () => {
  const server = await listen(http.createServer(withRequestContext((req, res) => res.end('ok'), { trustInbound: true })));
  try {
    const huge = await request(server.url, { headers: { baggage: `${GOOD},big=${'x'.repeat(17 * 1024)}` } });
    assert.equal(huge.status, 431);
    assert.equal((await request(server.url, { headers: { baggage: GOOD } })).status, 200);
  } finally {
    await server.close();
  }
});

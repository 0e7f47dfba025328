// bind(fn) keeps what frameworks read off a function: length and name
// (as Node's AsyncResource.bind and OpenTelemetry's bind do), so Express 5
// still sees a bound (err, req, res, next) as an error handler.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createServer } from 'node:http';
import express from 'express';
import { bind, getSessionId, withContext } from 'mellea-context';
import { listen, request } from './helpers/servers.mjs';

describe('bind keeps the function shape', () => {
  it('length and name are the original function\'s', () => {
    function handler(a, b, c) { return a + b + c; }
    const bound = bind(handler);
    assert.equal(bound.length, 3);
    assert.equal(bound.name, 'handler');
    assert.equal(bind((a, b) => a + b).length, 2);
    const arrow = (x) => x;
    assert.equal(bind(arrow).name, 'arrow');
    // Properties stay non-enumerable, as on any function.
    assert.deepEqual(Object.keys(bound), []);
  });

  it('a function with an odd length or name still binds', () => {
    const odd = function () {};
    Object.defineProperty(odd, 'length', { value: -1 });
    Object.defineProperty(odd, 'name', { value: 42 });
    const bound = withContext('odd', () => bind(function probe() { return getSessionId(); }));
    assert.equal(bound(), 'odd');
    assert.equal(bind(odd).length, 0);
    assert.equal(typeof bind(odd).name, 'string');
  });

  it('Express 5 runs a bound (err, req, res, next) as the error handler, in the bound scope', async () => {
    const app = express();
    app.get('/', () => { throw new Error('boom'); });
    const onError = withContext('app-scope', () => bind((err, req, res, next) => {
      res.status(500).json({ handled: err.message, session: getSessionId() ?? null });
    }));
    app.use(onError);
    const server = await listen(createServer(app));
    try {
      const res = await request(server.url);
      assert.equal(res.status, 500);
      assert.deepEqual(JSON.parse(res.body), { handled: 'boom', session: 'app-scope' });
    } finally {
      await server.close();
    }
  });
});

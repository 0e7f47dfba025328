// What one property added to an Express request costs, for the HTTP bench's
// reference pair (bench/http.bench.mjs, `express floor+req.id`) and for
// contextMiddleware's id slot (js/http/node.js): Express swaps each
// request's prototype (Object.setPrototypeOf(req, app.request), in
// app.handle); on Node 20 and 22 every property added to the request after
// that makes the request a hidden class of its own and costs microseconds
// (two runs of this bench: +1.8 and +3.5 us on Node 20, +1.5 us on Node 22,
// over the swap alone), and nothing measurable without the swap or on Node
// 24 (where the swap itself costs ~1 us). The context middleware sets req.id
// (pino-http's convention), one such property.
//
// The second group is an Express 5 request's own property writes
// (req.res before the swap; next, baseUrl, originalUrl, params and route
// after it) with req.id added after the swap, or stored into an `id` the
// request was given before the swap (what contextMiddleware's wrapper of
// app.handle does on Node 20 and 22). Reference only: no bound.
// `node bench/express-request.bench.mjs`.
import http from 'node:http';
import express from 'express';
import { consume, line, measure, ratio } from './harness.mjs';

const app = express();
const id = 'c0ffee00c0ffee00c0ffee00c0ffee00';
// A new id per request, as a service has.
const ids = Array.from({ length: 1024 }, (_, i) => `c0ffee00c0ffee00c0ffee00c0f${String(10000 + i)}`);

/** Express 5's writes to a request: app.handle, then the router and the route. */
function asExpress(req, before) {
  req.res = null;
  Object.setPrototypeOf(req, app.request);
  req.next = null;
  req.baseUrl = '';
  req.originalUrl = '/';
  req.params = {};
  before?.(req);
  req.route = null;
}

console.log(`# express-request: a request object, its prototype swapped as Express does, then req.id (Node ${process.versions.node})`);
const results = measure({
  'new IncomingMessage, swap (no property added)': (n) => {
    for (let i = 0; i < n; i++) {
      const req = new http.IncomingMessage(null);
      Object.setPrototypeOf(req, app.request);
      consume(req);
    }
  },
  'new IncomingMessage, swap, req.id = id': (n) => {
    for (let i = 0; i < n; i++) {
      const req = new http.IncomingMessage(null);
      Object.setPrototypeOf(req, app.request);
      req.id = id;
      consume(req);
    }
  },
  'new IncomingMessage, req.id = id (no swap)': (n) => {
    for (let i = 0; i < n; i++) {
      const req = new http.IncomingMessage(null);
      req.id = id;
      consume(req);
    }
  },
  'Express writes': (n) => {
    for (let i = 0; i < n; i++) {
      const req = new http.IncomingMessage(null);
      asExpress(req);
      consume(req);
    }
  },
  'Express writes, req.id added after the swap': (n) => {
    for (let i = 0; i < n; i++) {
      const req = new http.IncomingMessage(null);
      asExpress(req, (r) => { r.id = ids[i & 1023]; });
      consume(req);
    }
  },
  'Express writes, id slot before the swap, req.id stored after': (n) => {
    for (let i = 0; i < n; i++) {
      const req = new http.IncomingMessage(null);
      req.id = undefined;
      asExpress(req, (r) => { r.id = ids[i & 1023]; });
      consume(req);
    }
  },
}, { ops: 20_000, rounds: 9 });
const swapped = results['new IncomingMessage, swap (no property added)'];
line('new IncomingMessage, swap (no property added)', swapped);
ratio('the same, then req.id = id', results['new IncomingMessage, swap, req.id = id'], swapped);
line('new IncomingMessage, req.id = id (no swap)', results['new IncomingMessage, req.id = id (no swap)']);
const express5 = results['Express writes'];
line('Express 5 writes (no req.id)', express5);
ratio('the same, req.id added after the swap', results['Express writes, req.id added after the swap'], express5);
ratio('the same, id slot before the swap (contextMiddleware)', results['Express writes, id slot before the swap, req.id stored after'], express5);

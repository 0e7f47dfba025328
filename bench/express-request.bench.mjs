// What one property added to an Express request costs, for the HTTP bench's
// reference pair (bench/http.bench.mjs, `express floor+req.id`): Express
// swaps each request's prototype (Object.setPrototypeOf(req, app.request));
// on Node 20 and 22 every property added to the request after that costs
// microseconds (two runs of this bench: +1.8 and +3.5 us on Node 20, +1.5
// us on Node 22, over the swap alone), and nothing measurable without the
// swap or on Node 24 (where the swap itself costs ~1 us). The
// context middleware sets req.id (pino-http's convention), one such
// property. Reference only: no bound. `node bench/express-request.bench.mjs`.
import http from 'node:http';
import express from 'express';
import { consume, line, measure, ratio } from './harness.mjs';

const app = express();
const id = 'c0ffee00c0ffee00c0ffee00c0ffee00';
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
}, { ops: 20_000, rounds: 9 });
const swapped = results['new IncomingMessage, swap (no property added)'];
line('new IncomingMessage, swap (no property added)', swapped);
ratio('the same, then req.id = id', results['new IncomingMessage, swap, req.id = id'], swapped);
line('new IncomingMessage, req.id = id (no swap)', results['new IncomingMessage, req.id = id (no swap)']);

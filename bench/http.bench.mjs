// HTTP services, one log line per request to /dev/null, under autocannon on
// loopback (50 connections, pipelining 4). Each server runs in its own child
// process (the load generator is this process). What is claimed is the
// server's CPU time per request (process.cpuUsage() around each load,
// divided by the requests served): on a shared 2-core machine req/s swings
// with the load generator, CPU per request far less.
//
// Each of ours and its floor form a pair, measured in server processes of
// the pair's own, one pair after the other: both sides warmed up, then each
// loaded alone at full load in turn (solo), then in turn alone at a fixed
// rate, half the floor's full-load req/s, for several rounds (which side
// goes first alternates by round). The rounds are spread over several fresh
// process pairs (3 by default, the solo loads in the first only): with one
// pair of processes per pair (2026-12-07), some runs read one pair low in
// every round, as if a cost belonged to a process for its life; spread over
// fresh processes, such a process is one sample among several. (The matrix
// on this form then read a process pair low in all its rounds no more often
// than chance: docs/performance.md, "The HTTP harness".) At full load a
// server's CPU per request depends on its own speed (a slower server is
// handed fewer requests per socket read and write, which costs CPU per
// request of its own); at a fixed rate below saturation both see the same
// arrivals. Loading the two at
// the same time was tried and dropped: the one the scheduler gave less CPU
// batched more and looked cheaper (ratios of 0.84-1.16 between runs for the
// same code). Until 2026-12-07 one floor process served every pair of its
// framework, and whichever Express pair met it second read 0.05-0.2 lower on
// Node 20-22: the floor had just served a load while ours had sat idle. In
// a pair of its own the two sides have the same history.
//
// Each of ours is compared with the hand-rolled floor of the same framework
// and logger: AsyncLocalStorage.run, crypto.randomUUID, the x-request-id
// header and a pino mixin copying the store (pino-http: the same, with
// genReqId answering the store's id). Reported: floor/ours CPU per request
// (target >= 0.95, i.e. ours <= floor / 0.95), the median over rounds of the
// ratio within each round.
//
// Usage: node bench/http.bench.mjs [seconds of each fixed-rate load, default 2] [rounds, default 9] [process pairs, default 3]
//   HTTP_BENCH_ONLY=node,express  runs only variants whose name has one of these
//   HTTP_BENCH_REFERENCE=1        adds the reference pairs (REFERENCE below)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { median } from './harness.mjs';
import { SELF, VARIANTS } from './http-variants.mjs';

// Reference pairs (HTTP_BENCH_REFERENCE=1), printed apart from the claim,
// as [ours, floor]: Express's floor that also sets req.id, as ours does (and
// pino-http). On Node 20 and 22 each property added to a request after
// Express swaps its prototype costs microseconds
// (bench/express-request.bench.mjs: +1.5-3.5 us over the swap alone; Node
// 24: nothing measurable): about 1% of an Express request's CPU there
// (~190-250 us in this bench's 2026-12-07 runs on Node 20-22).
const REFERENCE = [
  ['express pinoMixin', 'express floor+req.id'],
  ['express pinoOptions', 'express floor+req.id'],
];
const only = (process.env.HTTP_BENCH_ONLY ?? '').split(',').filter(Boolean);
const NAMES = Object.keys(VARIANTS).filter((v) => only.length === 0 || only.some((o) => v.includes(o)));
const seconds = Number(process.argv[2] ?? 2);
const rounds = Number(process.argv[3] ?? 9);
const processPairs = Number(process.argv[4] ?? 3);
const SOLO_ROUNDS = 2;
const SOLO_SECONDS = 2;

if (process.env.BENCH_SERVER) {
  await serve(process.env.BENCH_SERVER);
} else {
  await main();
}

async function floorParts(pino, dest) {
  const { randomUUID } = await import('node:crypto');
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const als = new AsyncLocalStorage();
  const log = pino({ mixin: () => ({ ...als.getStore() }) }, dest);
  /** The floor's per-request scope: (req, res, fn) runs fn in it. */
  function inScope(req, res, fn) {
    const id = randomUUID();
    res.setHeader('x-request-id', id);
    als.run({ request_id: id }, fn);
  }
  /** The same, with the id also set as req.id (pino-http's convention, which ours follows). */
  function inScopeWithReqId(req, res, fn) {
    const id = randomUUID();
    res.setHeader('x-request-id', id);
    req.id = id;
    als.run({ request_id: id }, fn);
  }
  return { als, log, inScope, inScopeWithReqId };
}

async function serve(variant) {
  const http = await import('node:http');
  const pino = (await import('pino')).default;
  const dest = pino.destination({ dest: '/dev/null', sync: false });
  const [framework, hook] = variant.split(' ');
  const floor = variant.includes('floor');
  let handler;
  if (framework === 'node') {
    if (floor) {
      const { log, inScope } = await floorParts(pino, dest);
      handler = (req, res) => inScope(req, res, () => {
        log.info('request');
        res.end('ok');
      });
    } else {
      const { withRequestContext } = await import('mellea-context/http');
      const { pinoOptions, pinoMixin } = await import('mellea-context/pino');
      const log = pino(hook === 'pinoOptions' ? { ...pinoOptions() } : { mixin: pinoMixin }, dest);
      handler = withRequestContext((req, res) => {
        log.info('request');
        res.end('ok');
      });
    }
  } else {
    const express = (await import('express')).default;
    const app = express();
    app.set('etag', false);
    app.set('x-powered-by', false);
    let log;
    if (floor) {
      const parts = await floorParts(pino, dest);
      log = parts.log;
      const inScope = hook === 'floor+req.id' ? parts.inScopeWithReqId : parts.inScope;
      app.use((req, res, next) => inScope(req, res, next));
      if (hook === 'pino-http') {
        const { pinoHttp } = await import('pino-http');
        app.use(pinoHttp({ logger: log, genReqId: () => parts.als.getStore().request_id }));
      }
    } else {
      const { contextMiddleware, pinoHttpOptions } = await import('mellea-context/http');
      const { pinoOptions, pinoMixin } = await import('mellea-context/pino');
      log = pino(hook === 'pinoMixin' ? { mixin: pinoMixin } : { ...pinoOptions() }, dest);
      app.use(contextMiddleware());
      if (hook === 'pino-http') {
        const { pinoHttp } = await import('pino-http');
        app.use(pinoHttp({ logger: log, ...pinoHttpOptions() }));
      }
    }
    const logs = hook !== 'pino-http'; // pino-http writes the request's one line itself
    app.get('/', (req, res) => {
      if (logs) log.info('request');
      res.end('ok');
    });
    handler = app;
  }
  const server = http.createServer(handler);
  let last = process.cpuUsage();
  process.on('message', () => {
    const now = process.cpuUsage();
    process.send({ cpu: now.user - last.user + now.system - last.system });
    last = now;
  });
  // For --cpu-prof runs: exit cleanly so that the profile is written.
  process.on('SIGINT', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}

async function startServer(variant) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, BENCH_SERVER: variant },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = await once(child, 'message');
  return { child, url: `http://127.0.0.1:${message.port}` };
}

/**
 * Full load for `duration` seconds, or, at a fixed rate, rate x duration
 * requests. Not a duration there: autocannon then sometimes ran a third
 * second, and one side of a round served 1.5x the other's requests (3 of 9
 * rounds of the Express floor against itself, 2026-12-07, Node 20, with a
 * server counting what it handled); with `amount` both sides of a round
 * serve exactly the same requests.
 */
function load(url, duration, overallRate) {
  const span = overallRate === undefined ? { duration } : { overallRate, amount: Math.round(overallRate * duration) };
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: 50, pipelining: 4, ...span }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

async function cpuSince(child) {
  child.send('cpu');
  const [message] = await once(child, 'message');
  return message.cpu;
}

async function main() {
  const pairs = [];
  for (const v of NAMES) {
    if (VARIANTS[v] !== null && NAMES.includes(VARIANTS[v])) pairs.push({ ours: v, floor: VARIANTS[v], kind: 'claim' });
  }
  for (const floor of SELF) {
    if (NAMES.includes(floor)) pairs.push({ ours: floor, floor, kind: 'self' });
  }
  if (process.env.HTTP_BENCH_REFERENCE) {
    for (const [ours, floor] of REFERENCE) {
      if (NAMES.includes(ours) && NAMES.includes(floor)) pairs.push({ ours, floor, kind: 'reference' });
    }
  }
  for (const pair of pairs) await measurePair(pair);
  console.log(`http.bench: autocannon 50 connections, pipelining 4; server CPU per request; each pair in ${processPairs} fresh pairs of processes of its own: ${SOLO_ROUNDS} x ${SOLO_SECONDS}s full load (first pair), then ${rounds} x ${seconds}s at a fixed rate in all, per side; rounds of one process pair between | marks`);
  console.log('  solo, full load (median of rounds), floor then ours:');
  for (const pair of pairs.filter((p) => p.kind !== 'self')) {
    const side = (s) => `${median(pair.solo[s].map((r) => r.cpu)).toFixed(1).padStart(6)} us/req ${Math.round(median(pair.solo[s].map((r) => r.rps))).toString().padStart(6)} req/s`;
    const label = pair.kind === 'reference' ? `${pair.ours} vs ${pair.floor}` : pair.ours;
    console.log(`    ${label.padEnd(24)} ${side('floor')}  ${side('ours')}  floor/ours ${median(pair.solo.ours.map((r, i) => pair.solo.floor[i].cpu / r.cpu)).toFixed(2)}`);
  }
  console.log("  paired, ours and its floor in turn at the same fixed rate, half the floor's req/s (median of rounds; the claim):");
  let missed = 0;
  for (const pair of pairs.filter((p) => p.kind === 'claim')) {
    const ratio = median(pair.ratios);
    const ok = ratio >= 0.95;
    if (!ok) missed++;
    console.log(`    ${pair.ours.padEnd(24)} floor/ours ${ratio.toFixed(2)} ${ok ? 'ok  ' : 'MISS'} (target >= 0.95)   rounds: ${roundsText(pair)}`);
  }
  console.log(`  ${missed === 0 ? 'all variants within floor/0.95' : `${missed} variant(s) above floor/0.95`}`);
  console.log('  each floor against itself, the same way (the harness\'s own error: read the claims above with it):');
  for (const pair of pairs.filter((p) => p.kind === 'self')) {
    console.log(`    ${pair.ours.padEnd(24)} itself/itself ${median(pair.ratios).toFixed(2)}   rounds: ${roundsText(pair)}`);
  }
  const references = pairs.filter((p) => p.kind === 'reference');
  if (references.length > 0) {
    console.log('  reference (not a claim): against a floor that also sets req.id, as ours does, same fixed rate:');
    for (const pair of references) {
      console.log(`    ${pair.ours.padEnd(24)} ${pair.floor}/ours ${median(pair.ratios).toFixed(2)}   rounds: ${roundsText(pair)}`);
    }
  }
}

function roundsText(pair) {
  return pair.byProcesses.map((ratios) => ratios.map((x) => x.toFixed(2)).join(', ')).join(' | ');
}

/**
 * One pair, start to end, its rounds spread over `processPairs` fresh pairs
 * of processes, one after the other. Each round's ratio is the floor's CPU
 * per request over ours, from two loads back to back.
 */
async function measurePair(pair) {
  pair.solo = { floor: [], ours: [] };
  pair.ratios = [];
  pair.byProcesses = [];
  let round = 0;
  for (let p = 0; p < processPairs; p++) {
    const count = Math.floor((rounds * (p + 1)) / processPairs) - Math.floor((rounds * p) / processPairs);
    const ratios = await measureProcessPair(pair, round, count);
    pair.byProcesses.push(ratios);
    pair.ratios.push(...ratios);
    round += count;
  }
}

/**
 * `count` rounds of a pair in two fresh processes: both warmed up, the first
 * time also loaded alone at full load in turn (solo; the floor's best req/s
 * sets the rate), then in turn at the fixed rate, half that.
 */
async function measureProcessPair(pair, firstRound, count) {
  const servers = { floor: await startServer(pair.floor), ours: await startServer(pair.ours) };
  const ratios = [];
  const inTurn = (round) => (round % 2 === 0 ? ['floor', 'ours'] : ['ours', 'floor']);
  async function measure(side, duration, rate) {
    const server = servers[side];
    await cpuSince(server.child);
    const result = await load(server.url, duration, rate);
    if (result.non2xx || result.errors) throw new Error(`${pair[side]}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return { rps: result.requests.average, cpu: (await cpuSince(server.child)) / result.requests.total };
  }
  try {
    for (const side of ['floor', 'ours']) await measure(side, 1); // warm-up
    if (pair.rate === undefined) {
      for (let round = 0; round < SOLO_ROUNDS; round++) {
        for (const side of inTurn(round)) pair.solo[side].push(await measure(side, SOLO_SECONDS));
      }
      pair.rate = Math.round(Math.max(...pair.solo.floor.map((r) => r.rps)) / 2);
    }
    // Untimed: what the full loads left for the collector is not paid in
    // the first fixed-rate round.
    for (const side of ['floor', 'ours']) await measure(side, 1, pair.rate);
    for (let round = firstRound; round < firstRound + count; round++) {
      const perRequest = {};
      for (const side of inTurn(round)) perRequest[side] = (await measure(side, seconds, pair.rate)).cpu;
      ratios.push(perRequest.floor / perRequest.ours);
    }
    return ratios;
  } finally {
    servers.floor.child.kill();
    servers.ours.child.kill();
  }
}

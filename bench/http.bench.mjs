// node:http service, one pino line per request to /dev/null, under autocannon
// on loopback (50 connections, pipelining 4). Each server runs in its own
// child process; all variants are measured in the same run, interleaved over
// several rounds, and reported as ratios of req/s (median of rounds):
//   none      (a) no context at all
//   floor     (b) hand-rolled: AsyncLocalStorage.run, a random id, the
//                 x-request-id header, a pino mixin returning a copy of the store
//   mellea    withRequestContext + mellea-context/pino pinoOptions()
// Usage: node bench/http.bench.mjs [seconds per run, default 4] [rounds, default 5]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

// HTTP_BENCH_VARIANTS adds diagnostic variants (comma-separated):
//   ctx-mixin  floor's handler with withContext instead of als.run
//   ctx-pino   that, logging through pinoOptions() instead of the mixin
const VARIANTS = ['none', 'floor', 'mellea', ...(process.env.HTTP_BENCH_VARIANTS ?? '').split(',').filter(Boolean)];
const seconds = Number(process.argv[2] ?? 4);
const rounds = Number(process.argv[3] ?? 5);

if (process.env.BENCH_SERVER) {
  await serve(process.env.BENCH_SERVER);
} else {
  await main();
}

async function serve(variant) {
  const http = await import('node:http');
  const { randomUUID } = await import('node:crypto');
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const pino = (await import('pino')).default;
  const dest = pino.destination({ dest: '/dev/null', sync: false });
  let handler;
  if (variant === 'none') {
    const log = pino({}, dest);
    handler = (req, res) => {
      log.info('request');
      res.end('ok');
    };
  } else if (variant === 'floor') {
    const als = new AsyncLocalStorage();
    const log = pino({ mixin: () => ({ ...als.getStore() }) }, dest);
    handler = (req, res) => {
      const id = randomUUID();
      res.setHeader('x-request-id', id);
      als.run({ request_id: id }, () => {
        log.info('request');
        res.end('ok');
      });
    };
  } else if (variant === 'ctx-mixin' || variant === 'ctx-pino') {
    const { withContext, getCurrentContext, generateRequestId } = await import('mellea-context');
    const { pinoOptions } = await import('mellea-context/pino');
    const log = variant === 'ctx-pino' ? pino({ ...pinoOptions() }, dest) : pino({ mixin: () => ({ ...getCurrentContext() }) }, dest);
    handler = (req, res) => {
      const id = generateRequestId();
      res.setHeader('x-request-id', id);
      withContext({ request_id: id }, () => {
        log.info('request');
        res.end('ok');
      });
    };
  } else {
    const { withRequestContext } = await import('mellea-context/http');
    const { pinoOptions } = await import('mellea-context/pino');
    const log = pino({ ...pinoOptions() }, dest);
    handler = withRequestContext((req, res) => {
      log.info('request');
      res.end('ok');
    });
  }
  const server = http.createServer(handler);
  // CPU time per request: a steadier measure than req/s on a shared machine.
  let last = process.cpuUsage();
  process.on('message', () => {
    const now = process.cpuUsage();
    process.send({ cpu: now.user - last.user + now.system - last.system });
    last = now;
  });
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

function load(url, duration) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: 50, pipelining: 4, duration }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

async function cpuSince(child) {
  child.send('cpu');
  const [message] = await once(child, 'message');
  return message.cpu;
}

async function main() {
  const servers = {};
  for (const v of VARIANTS) servers[v] = await startServer(v);
  const samples = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  const cpu = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  try {
    for (const v of VARIANTS) {
      await load(servers[v].url, 1); // warm-up
      await cpuSince(servers[v].child);
    }
    for (let round = 0; round < rounds; round++) {
      for (const v of VARIANTS) {
        const result = await load(servers[v].url, seconds);
        if (result.non2xx || result.errors) throw new Error(`${v}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        samples[v].push(result.requests.average);
        cpu[v].push((await cpuSince(servers[v].child)) / result.requests.total);
      }
    }
  } finally {
    for (const v of VARIANTS) servers[v].child.kill();
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rps = Object.fromEntries(VARIANTS.map((v) => [v, median(samples[v])]));
  console.log(`http.bench: autocannon 50 connections, pipelining 4, ${seconds}s x ${rounds} rounds (median req/s)`);
  for (const v of VARIANTS) {
    console.log(`  ${v.padEnd(7)} ${Math.round(rps[v]).toString().padStart(7)} req/s  ${(rps[v] / rps.none * 100).toFixed(1).padStart(5)}% of none  ${(rps[v] / rps.floor * 100).toFixed(1).padStart(5)}% of floor   rounds: ${samples[v].map(Math.round).join(', ')}`);
  }
  const us = Object.fromEntries(VARIANTS.map((v) => [v, median(cpu[v])]));
  console.log('  server CPU per request (median; lower is better, steadier than req/s under load):');
  for (const v of VARIANTS) {
    console.log(`  ${v.padEnd(7)} ${us[v].toFixed(1).padStart(6)} us/req  ${(us.floor / us[v] * 100).toFixed(1).padStart(5)}% of floor's throughput per CPU`);
  }
  const ok = rps.mellea >= 0.95 * rps.floor;
  console.log(`  requirement mellea >= 95% of floor: ${ok ? 'met' : 'NOT met'} (${(rps.mellea / rps.floor * 100).toFixed(1)}%)`);
}

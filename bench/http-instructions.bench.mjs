// The HTTP services of bench/http.bench.mjs (the same server processes,
// BENCH_SERVER), counted in instructions instead of CPU time: each server
// runs under valgrind (cachegrind without its cache simulation, which only
// counts instructions) and serves a fixed number of requests, N1 in one fresh
// process and N2 in another; (I(N2) - I(N1)) / (N2 - N1) is what one request
// costs, with start-up and the first requests' compilation cancelled out.
//
// Why: the HTTP bench's CPU time per request scatters by round (0.50-1.54
// floor/ours on this shared 2-core machine) and a floor against itself reads
// 0.90-1.09 by run, which hides a difference of a few percent. An instruction
// count does not slow down when the machine is busy (valgrind serializes the
// process's threads; V8 runs --single-threaded so that its collector and
// compiler work on that one thread and is counted), but it still moves from
// process to process, mostly with where the collector's and the optimizing
// compiler's work falls in the counted window: one pair of 2,000 and 7,000
// requests read node:http + pinoOptions at 0.892 of its floor, and seven
// fresh pairs each, 2,000 to 10,000 requests, at 0.983 (medians 117,130 and
// 119,190, single pairs 108,035-123,968; Node 20, 2026-12-07). So each
// server is counted in several fresh pairs of processes and the medians are
// compared; the range of each is printed under its line. It is not time
// either (cache misses, a real scheduler, the kernel's share), so it is a
// second reading of the claim, not the claim.
//
// The load shape matters. Over one connection (the default) each request is
// handled in its own turn of the event loop. Under the HTTP bench's own load
// (50 connections, pipelining 4: --load) ours counted 0.913 of the floor
// (nine pairs each, medians 210,810 and 230,854), but most of that
// difference sat in the collector and the optimizing compiler, whose work
// under valgrind still falls in that window (docs/performance.md, "Counting
// instructions").
//
// Usage: node bench/http-instructions.bench.mjs [N1, default 2000] [N2, default 10000] [processes, default 3] [--load]
//   HTTP_BENCH_ONLY=node,express  as in bench/http.bench.mjs
// Needs valgrind (apt-get install valgrind); without it, says so and exits 0.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { median } from './harness.mjs';
import { claimAndSelfPairs } from './http-variants.mjs';

// The first ~2000 requests still compile: node:http + withRequestContext
// without a log line counted 255,720 instructions per request from 1000 to
// 4000 requests, 107,492 from 2000 to 6000 (Node 20, 2026-12-07). By default
// one connection without pipelining: each request is then read, handled and
// written in its own turn of the event loop whatever the machine's load.
const LOAD = process.argv.includes('--load');
const args = process.argv.slice(2).filter((a) => a !== '--load');
const N1 = Number(args[0] ?? 2000);
const N2 = Number(args[1] ?? 10000);
const PROCESSES = Number(args[2] ?? 3);
const SHAPE = LOAD ? { connections: 50, pipelining: 4 } : { connections: 1, pipelining: 1 };
// [ours, floor]: the claim pairs of bench/http.bench.mjs, then each floor
// against itself (two fresh processes of the same server).
const PAIRS = claimAndSelfPairs();
const SERVER = fileURLToPath(new URL('./http.bench.mjs', import.meta.url));
// Counts are not slowed by load, only delayed: two servers at a time.
const PARALLEL = 2;

const only = (process.env.HTTP_BENCH_ONLY ?? '').split(',').filter(Boolean);
const pairs = PAIRS.filter(([ours]) => only.length === 0 || only.some((o) => ours.includes(o)));

if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.log('http-instructions: valgrind not found (apt-get install valgrind): skipped');
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'mellea-instructions-'));
try {
  // Every server count needed, each measured once (a floor serves its pairs
  // and, measured a second time, its own row).
  const jobs = [];
  for (const [ours, floor] of pairs) {
    for (const variant of ours === floor ? [floor, `${floor}#2`] : [floor, ours]) {
      if (!jobs.includes(variant)) jobs.push(variant);
    }
  }
  // job -> per-request counts, one per fresh pair of processes (the jobs
  // taking turns).
  const perRequest = new Map(jobs.map((job) => [job, []]));
  const tasks = [];
  for (let i = 0; i < PROCESSES; i++) for (const job of jobs) tasks.push(job);
  let next = 0;
  async function worker() {
    while (next < tasks.length) {
      const job = tasks[next++];
      const variant = job.split('#')[0];
      const [first, second] = [await instructions(variant, N1), await instructions(variant, N2)];
      perRequest.get(job).push((second - first) / (N2 - N1));
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const shape = LOAD ? `${SHAPE.connections} connections, pipelining ${SHAPE.pipelining}` : '1 connection, no pipelining';
  console.log(`http-instructions: instructions per request of each server (valgrind --tool=cachegrind --cache-sim=no, node --single-threaded), from ${N1} and ${N2} requests in fresh processes, median of ${PROCESSES} such pairs of processes per server; autocannon ${shape}; Node ${process.versions.node}`);
  const range = (counts) => `${Math.round(Math.min(...counts))}-${Math.round(Math.max(...counts))}`;
  for (const [ours, floor] of pairs) {
    const self = ours === floor;
    const floorCounts = perRequest.get(floor);
    const oursCounts = perRequest.get(self ? `${floor}#2` : ours);
    const label = self ? `${ours} itself` : ours;
    console.log(`    ${label.padEnd(24)} floor ${Math.round(median(floorCounts)).toString().padStart(8)}  ours ${Math.round(median(oursCounts)).toString().padStart(8)}  instructions/request  floor/ours ${(median(floorCounts) / median(oursCounts)).toFixed(3)}`);
    console.log(`      ranges: floor ${range(floorCounts)}, ours ${range(oursCounts)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Instructions the server `variant` executed, from start to exit, serving `amount` requests. */
async function instructions(variant, amount) {
  const log = join(dir, `${variant.replaceAll(' ', '_')}-${amount}-${Math.random().toString(36).slice(2)}.log`);
  const child = spawn(
    'valgrind',
    ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', '--smc-check=all-non-file', `--log-file=${log}`, process.execPath, '--single-threaded', SERVER],
    { env: { ...process.env, BENCH_SERVER: variant }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const exited = once(child, 'exit');
  try {
    const [message] = await Promise.race([
      once(child, 'message'),
      exited.then(([code]) => {
        throw new Error(`${variant}: the server exited (${code}) before listening`);
      }),
    ]);
    const result = await new Promise((resolve, reject) => {
      autocannon({ url: `http://127.0.0.1:${message.port}`, ...SHAPE, amount, timeout: 120 }, (error, r) => (error ? reject(error) : resolve(r)));
    });
    // With pipelining autocannon's requests.total undercounts the responses
    // (50 of 200 with 50 connections, pipelining 4, where the server saw 200):
    // its sent count, with no errors or timeouts, is what the server served.
    if (result.non2xx || result.errors || result.timeouts || result.requests.sent < amount) {
      throw new Error(`${variant}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts, ${result.requests.sent} of ${amount} requests sent`);
    }
  } catch (error) {
    child.kill('SIGKILL'); // no count to wait for
    throw error;
  }
  child.kill('SIGINT'); // the server exits cleanly on SIGINT, and valgrind then writes its count
  await exited;
  const count = /I\s+refs:\s+([\d,]+)/.exec(readFileSync(log, 'utf8'));
  if (count === null) throw new Error(`${variant}: no instruction count in valgrind's log`);
  return Number(count[1].replaceAll(',', ''));
}

// withContext against each host's own AsyncLocalStorage.run, on every host
// installed (Node 20 = the Node running this; Node 22/24/26, Bun, Deno and
// workerd from scripts/runtimes.json): `node bench/hosts.bench.mjs [runs]`
// (default 3). Each run is a fresh process (for workerd, a fresh workerd
// serving one request) timing bench/hosts/cases.mjs in interleaved rounds;
// printed: each ratio's median over the runs, then every run's. Never
// asserted by a test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimeBin } from '../scripts/runtimes.mjs';
import { bundleWorker, startWorkerd, writeWorkerdConfig } from '../tests/helpers/workerd.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const RUNS = Math.max(3, Number(process.argv[2] ?? 3));
const cli = join(here, 'hosts/cli.mjs');
const QUIET = { ...process.env, DENO_NO_UPDATE_CHECK: '1', DO_NOT_TRACK: '1' };

/** One run on a host that runs a script: its medians. */
function runScript(bin, args) {
  const result = spawnSync(bin, args, { cwd: root, env: QUIET, encoding: 'utf8', timeout: 180_000 });
  const line = result.stdout?.trim().split('\n').at(-1);
  if (result.status !== 0 || !line?.startsWith('{')) throw new Error(`${bin} failed (${result.status ?? result.signal}): ${result.stderr?.slice(-2000)}`);
  return JSON.parse(line);
}

/** One run in workerd: a fresh workerd answering one request. */
async function runWorkerd(outdir) {
  const workerd = await startWorkerd(outdir);
  try {
    const response = await fetch(`http://127.0.0.1:${workerd.port}/`, { signal: AbortSignal.timeout(180_000) });
    if (!response.ok) throw new Error(`workerd answered ${response.status}: ${await response.text()}\n${workerd.output()}`);
    return await response.json();
  } finally {
    await workerd.stop();
  }
}

const nodeHost = (name) => {
  const bin = runtimeBin(name);
  return bin && { name: `Node ${name.slice(4)}`, run: () => runScript(bin, [cli]) };
};
const hosts = [
  { name: `Node ${process.versions.node.split('.')[0]}`, run: () => runScript(process.execPath, [cli]) },
  nodeHost('node22'),
  nodeHost('node24'),
  nodeHost('node26'),
  runtimeBin('bun') && { name: 'Bun', run: () => runScript(runtimeBin('bun'), [cli]) },
  runtimeBin('deno') && { name: 'Deno', run: () => runScript(runtimeBin('deno'), ['run', '--allow-all', cli]) },
];
let workerdDir;
if (runtimeBin('workerd')) {
  workerdDir = mkdtempSync(join(tmpdir(), 'mellea-bench-workerd-'));
  writeWorkerdConfig(workerdDir, await bundleWorker(join(here, 'hosts/worker.js'), workerdDir));
  hosts.push({ name: 'Cloudflare Workers (workerd)', run: () => runWorkerd(workerdDir) });
}
for (const name of ['node22', 'node24', 'node26', 'bun', 'deno', 'workerd']) {
  if (runtimeBin(name) === undefined) console.log(`(${name} not installed: node scripts/runtimes.mjs install ${name})`);
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const fmt = (x) => x.toFixed(2);

console.log(`# withContext vs the host's own AsyncLocalStorage.run (two fields, fn = () => 1), medians of ${RUNS} runs`);
console.log('host | same fields: withContext / als.run | fresh values: withContext / als.run | ns (median run): als.run same, withContext same, als.run fresh, withContext fresh');
try {
  for (const host of hosts.filter(Boolean)) {
    const runs = [];
    for (let r = 0; r < RUNS; r++) runs.push(await host.run());
    const same = runs.map((m) => m['withContext(same fields)'] / m['als.run(same fields)']);
    const fresh = runs.map((m) => m['withContext(fresh values)'] / m['als.run(fresh values)']);
    const mid = runs[same.indexOf(median(same))];
    const ns = ['als.run(same fields)', 'withContext(same fields)', 'als.run(fresh values)', 'withContext(fresh values)'].map((k) => mid[k].toFixed(0)).join(', ');
    console.log(`${host.name} | ${fmt(median(same))}x (${same.map(fmt).join(', ')}) | ${fmt(median(fresh))}x (${fresh.map(fmt).join(', ')}) | ${ns}`);
  }
} finally {
  if (workerdDir) rmSync(workerdDir, { recursive: true, force: true });
}

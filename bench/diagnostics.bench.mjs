// Diagnostics off must cost nothing measurable: withContext and a pino line
// with this build vs the same build with the checks taken out (the
// withContext thenable check and the logging hooks' diagnostics test).
// Both builds are loaded in this process, each with its own copy of pino
// (sharing one pino, each build made the other's call sites polymorphic:
// 1.5x apart on identical code paths), and measured in back-to-back pairs,
// so that load on the machine hits both alike. A control pair (the build
// without checks against a copy of itself) shows the noise floor of the run.
//   node bench/diagnostics.bench.mjs [--rounds 41] [--ops 100000]
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consume, report } from './harness.mjs';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
};
const ROUNDS = arg('rounds', 41);
const OPS = arg('ops', 100_000);
const BOUND = 1.02;

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
/** dist/cjs copied with every diagnostics and thenable check removed. */
function buildWithoutChecks() {
  const dir = mkdtempSync(join(tmpdir(), 'mellea-nochecks-'));
  cpSync(join(dist, 'cjs'), join(dir, 'cjs'), { recursive: true });
  symlinkSync(join(dist, 'wasm'), join(dir, 'wasm'));
  const edits = [
    ['core/api.js', /return bindThenable\((carrier\.run\(scope, fn, \.\.\.args\)), scope\);/, 'return $1;'],
    ['pino.js', /if \(diagnostics\.enabled\)\s*diagnostics\.noScopeLine\(\);/g, ''],
  ];
  for (const [file, pattern, replacement] of edits) {
    const path = join(dir, 'cjs', file);
    const text = readFileSync(path, 'utf8');
    const edited = text.replace(pattern, replacement);
    if (edited === text) throw new Error(`bench: could not take the check out of ${file} (did the code change?)`);
    writeFileSync(path, edited);
  }
  return dir;
}

const FIELDS = { session_id: 'sess-4f1c2a', request_id: '9f1c2a7b3d4e4f5a8b6c7d8e9f0a1b2c' };
let written = 0;

/** A fresh copy of pino: drops the modules a previous require loaded. */
function freshPino(require) {
  for (const key of Object.keys(require.cache)) if (key.includes(`${'/node_modules/'}`)) delete require.cache[key];
  return require('pino');
}

function casesOf(label, root) {
  const require = createRequire(join(root, 'cjs', 'index.js'));
  const { withContext } = require('./index.js');
  const { pinoOptions } = require('./pino.js');
  const pino = freshPino(createRequire(import.meta.url));
  const logger = pino({ ...pinoOptions(), base: undefined }, { write: (line) => void (written += line.length) });
  const work = () => 1;
  const asyncWork = async () => 1;
  return {
    [`${label}withContext(fields, fn)`]: (n) => { for (let i = 0; i < n; i++) consume(withContext(FIELDS, work)); },
    [`${label}withContext(fields, async fn)`]: (n) => { for (let i = 0; i < n; i++) consume(withContext(FIELDS, asyncWork)); },
    [`${label}pino line in a scope`]: (n) => withContext(FIELDS, () => { for (let i = 0; i < n; i++) logger.info('hello'); }),
    [`${label}pino line, no scope`]: (n) => { for (let i = 0; i < n; i++) logger.info('hello'); },
  };
}

function timed(run) {
  const start = process.hrtime.bigint();
  run(OPS);
  return Number(process.hrtime.bigint() - start) / OPS;
}

/**
 * Each round runs both back to back (order alternating) and keeps their
 * ratio: on a shared machine the load drifts between rounds, much less
 * within one; the median ratio is what is reported.
 */
function pairedRatio(current, baseline) {
  for (let i = 0; i < 3; i++) { timed(current); timed(baseline); } // warm-up
  const ratios = [];
  const times = [];
  const baseTimes = [];
  for (let round = 0; round < ROUNDS; round++) {
    let a;
    let b;
    if (round % 2 === 0) { a = timed(current); b = timed(baseline); } else { b = timed(baseline); a = timed(current); }
    ratios.push(a / b);
    times.push(a);
    baseTimes.push(b);
  }
  const median = (list) => list.slice().sort((x, y) => x - y)[Math.floor(list.length / 2)];
  return { ratio: median(ratios), ns: median(times), baseNs: median(baseTimes) };
}

const baseDir = buildWithoutChecks();
const controlDir = buildWithoutChecks();
try {
  const now = casesOf('', dist);
  const without = casesOf('without checks: ', baseDir);
  const control = casesOf('without checks: ', controlDir);
  const all = {};
  for (const name of Object.keys(now)) {
    all[name] = now[name];
    all[`without checks: ${name}`] = without[`without checks: ${name}`];
  }
  console.log(`diagnostics off vs a build without the checks (per case: median over ${ROUNDS} rounds of the ratio of two back-to-back runs of ${OPS} ops, order alternating)`);
  for (const name of Object.keys(now)) {
    const { ratio, ns, baseNs } = pairedRatio(now[name], without[`without checks: ${name}`]);
    report(name, ns, ns / ratio, BOUND);
    void baseNs;
  }
  // The noise floor: the same build without checks against a copy of itself.
  for (const name of Object.keys(now)) {
    const { ratio, ns } = pairedRatio(control[`without checks: ${name}`], without[`without checks: ${name}`]);
    console.log(`     control (same code, two copies): ${name.padEnd(30)} ${ns.toFixed(1).padStart(8)} ns  ${ratio.toFixed(2).padStart(5)}x`);
  }
  consume(written);
} finally {
  rmSync(baseDir, { recursive: true, force: true });
  rmSync(controlDir, { recursive: true, force: true });
}

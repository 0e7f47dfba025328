// `npm run bench`: runs every bench/*.bench.mjs in its own process, one after
// the other (they measure ratios within their own run; running two at once
// would only add noise).
//
//   npm run bench                        every bench, on the Node running npm
//   npm run bench -- core logging        only these benches (a bench's own name, else the
//                                        benches whose file names contain it: bench/select.mjs)
//   npm run bench -- --node 24           under Node 24 (scripts/node-matrix.mjs finds it)
//   npm run bench -- --matrix            under Node 20, 22, 24 and 26: each bench
//                                        --runs times per Node (default 3), the Nodes
//                                        taking turns run by run, then one table of
//                                        each ratio's median per Node
//   npm run bench -- core --matrix --node 20,24 --runs 5
//
// A bench prints its ratios against baselines of its own run; the matrix
// table only gathers them (the raw output of every run goes to a log file,
// whose path is printed). The browser bench measures the payload and
// Chromium, which no Node changes, and the hosts bench runs every host
// itself: the matrix runs each once, on the first Node, and says so.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBenches } from './select.mjs';
import { MATRIX_MAJORS, matrixNodes, missingMessage, parseMajors } from '../scripts/node-matrix.mjs';
import { ratiosOf } from './ratios.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const options = { matrix: false, nodes: undefined, runs: 3, only: [] };
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--matrix') options.matrix = true;
  else if (arg === '--node') options.nodes = args[++i];
  else if (arg === '--runs') options.runs = Number(args[++i]);
  else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
  else options.only.push(arg);
}
if (!Number.isInteger(options.runs) || options.runs < 1) usage('--runs takes a whole number >= 1');

function usage(problem) {
  console.error(`bench: ${problem}\nusage: node bench/run.mjs [name...] [--node 24 | --node 20,24] [--matrix [--runs N]]`);
  process.exit(2);
}

const files = selectBenches(readdirSync(here), options.only);
if (files.length === 0) usage(`no bench matches ${options.only.join(', ')}`);

let majors;
try {
  majors = options.nodes !== undefined ? parseMajors(options.nodes) : options.matrix ? MATRIX_MAJORS : undefined;
} catch (error) {
  usage(error.message);
}

// The plain run: every bench once, output as it comes, on one Node.
if (!options.matrix && (majors === undefined || majors.length === 1)) {
  const node = majors === undefined ? { label: `Node ${process.versions.node.split('.')[0]}`, bin: process.execPath, version: process.version } : matrixNodes(majors)[0];
  if (node.bin === undefined) {
    console.error(`bench: ${missingMessage(node)}`);
    process.exit(1);
  }
  let failed = 0;
  for (const file of files) {
    console.log(`\n=== ${file} (${node.label}, ${node.version})`);
    const result = spawnSync(node.bin, [join(here, file)], { stdio: 'inherit' });
    if (result.status !== 0) failed++;
  }
  process.exit(failed === 0 ? 0 : 1);
}

// --- the matrix ------------------------------------------------------------

const nodes = matrixNodes(majors);
const missing = nodes.filter((node) => node.bin === undefined);
for (const node of missing) console.error(`bench: ${missingMessage(node)}; not in the table`);
const present = nodes.filter((node) => node.bin !== undefined);
if (present.length === 0) process.exit(1);
// Not per Node: what the browser bench measures runs in Chromium, and the
// hosts bench runs every host of its own (each Node of the matrix included).
const ONCE = new Set(['browser.bench.mjs', 'hosts.bench.mjs']);

function runOnce(bin, file) {
  return new Promise((resolve) => {
    const child = spawn(bin, [join(here, file)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('close', (status) => resolve({ status, out }));
  });
}

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const log = join(tmpdir(), `mellea-bench-matrix-${process.pid}.log`);
writeFileSync(log, '');
console.log(`bench: matrix of ${present.map((n) => `${n.label} (${n.version})`).join(', ')}; ${options.runs} run(s) per Node, the Nodes taking turns; raw output: ${log}`);
// results[file][label][major] = [ratio per run]; bounds[file][label] = bound
const results = {};
const bounds = {};
let failed = 0;
for (const file of files) {
  results[file] = {};
  bounds[file] = {};
  const nodesHere = ONCE.has(file) ? present.slice(0, 1) : present;
  if (ONCE.has(file)) console.log(`bench: ${file} runs once, on ${present[0].label}: ${file === 'hosts.bench.mjs' ? 'it runs every host itself' : 'it measures the payload and Chromium, which no Node changes'}`);
  const runs = ONCE.has(file) ? 1 : options.runs;
  for (let run = 1; run <= runs; run++) {
    for (const node of nodesHere) {
      const started = Date.now();
      const { status, out } = await runOnce(node.bin, file);
      appendFileSync(log, `\n=== ${file} ${node.label} ${node.version} run ${run}/${runs} (exit ${status})\n${out}`);
      const found = ratiosOf(out);
      console.log(`  ${file} ${node.label} run ${run}/${runs}: ${found.length} ratios, ${((Date.now() - started) / 1000).toFixed(0)} s${status === 0 ? '' : `, exit ${status} (see the log)`}`);
      if (status !== 0) failed++;
      for (const [label, ratio, bound] of found) {
        ((results[file][label] ??= {})[node.major] ??= []).push(ratio);
        if (bound !== undefined) bounds[file][label] = bound;
      }
    }
  }
}

// One table: a row per ratio, a column per Node, each cell the median of the
// runs and, with more than one run, their range.
const cell = (list) => (list === undefined ? '-' : list.length === 1 ? list[0].toFixed(2) : `${median(list).toFixed(2)} (${Math.min(...list).toFixed(2)}-${Math.max(...list).toFixed(2)})`);
const width = Math.max(20, ...Object.values(results).flatMap((byLabel) => Object.keys(byLabel).map((l) => l.length)));
const colWidth = options.runs > 1 ? 19 : 8;
console.log(`\nratios per Node: median of ${options.runs} run(s) (min-max); lower is better except HTTP floor/ours`);
console.log(`${'ratio'.padEnd(width)}  ${present.map((n) => n.label.padEnd(colWidth)).join(' ')}  bound`);
for (const file of files) {
  const labels = Object.keys(results[file]);
  if (labels.length === 0) continue;
  console.log(`# ${file}`);
  for (const label of labels) {
    const row = present.map((n) => cell(results[file][label][n.major]).padEnd(colWidth)).join(' ');
    console.log(`${label.padEnd(width)}  ${row}  ${bounds[file][label] ?? ''}`);
  }
}
console.log(`\nraw output: ${log}`);
process.exit(failed === 0 && missing.length === 0 ? 0 : 1);

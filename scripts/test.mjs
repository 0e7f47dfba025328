// `npm test`: first builds dist/ from what js/ and src/ say now (incremental:
// CMake rebuilds only what changed), so tests never run against a stale
// build; then the C++ core natively, once (GoogleTest + fuzz corpus replay
// under AddressSanitizer and UndefinedBehaviorSanitizer, through CTest); then
// the JS layer and the browser build with Node's test runner once per Node of
// the matrix (scripts/node-matrix.mjs: 20, 22, 24, 26), each run announced
// and closed by its own runner's summary, then one line per runner and a
// total. A failure on any Node fails the command (after every Node has run,
// so one run shows every Node's failures).
//
//   npm test                  everything
//   npm run test:js           the JS suite on every Node (no CTest)
//   npm test -- --node 24     only the Nodes named (comma-separated majors)
//
// A Node of the matrix that is not installed (.runtimes/, by
// `node scripts/runtimes.mjs install`, which scripts/setup.sh runs) fails the
// command in CI (CI=true): there it is a broken setup, never a skip. On a
// developer's machine it is said before and after the runs, with the command
// that installs it, and the other Nodes run.
//
// The first Node to run is the primary one (the Node running npm, which
// built dist/, when it is in the matrix). The runner sets
// MELLEA_NODE_REPEAT=1 for the others, where tests whose verdict cannot
// depend on the Node that drives them say so and skip with that reason
// (tests/helpers/node-matrix.mjs: the browser build in Chromium), and it
// gives files that drive other hosts (tests/host-*.test.mjs: Bun, Deno,
// workerd run the code under test) to the primary Node only, saying so.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { matrixNodes, missingMessage, parseMajors, MATRIX_MAJORS } from './node-matrix.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const onlyJs = args.includes('--js');
const nodeArg = args.indexOf('--node');
const inCi = process.env.CI === 'true' || process.env.CI === '1';

// Files run by the primary Node only: the code they test runs in another
// host (Bun, Deno, workerd), which the Node driving it does not change.
const PRIMARY_ONLY_FILE = /^host-.*\.test\.mjs$/;
// Test files at once: Node's default is availableParallelism() - 1, one file
// at a time on these 2-core machines. Most files wait on child processes,
// servers and Chromium, so two at a time take about half the wall time:
// Node 24's run, quiet machine, 91 s one file at a time, 51 s two at a time
// (MELLEA_NODE_REPEAT=1 node --test --test-concurrency=N tests/*.test.mjs).
const CONCURRENCY = 2;

function run(cmd, cmdArgs) {
  console.log(`\n$ ${cmd} ${cmdArgs.join(' ')}`);
  const result = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`test: ${cmd} exited with ${result.status ?? result.signal}`);
    process.exit(result.status || 1);
  }
}

function haveEmscripten() {
  return spawnSync('emcc', ['--version'], { stdio: 'ignore', env: { ...process.env, NODE_PATH: '/usr/share/nodejs' } }).status === 0;
}

/** Runs `cmd`, passing its output through as it comes, and resolves to { status, output }. */
function runCapturing(cmd, cmdArgs, env) {
  console.log(`$ ${cmd} ${cmdArgs.join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      output += chunk;
      if (output.length > 1 << 20) output = output.slice(-(1 << 19)); // the summary is at the end
    });
    child.on('close', (status, signal) => resolve({ status: status ?? signal, output }));
  });
}

/** The counts in a runner's summary (TAP `# pass 5` on Node 20, spec `ℹ pass 5` on 22+; ctest's line). */
function countsOf(output) {
  const last = (name) => {
    const all = [...output.matchAll(new RegExp(`^(?:#|\\u2139) ${name} (\\d+)\\s*$`, 'gm'))];
    return all.length === 0 ? undefined : Number(all.at(-1)[1]);
  };
  const pass = last('pass');
  if (pass === undefined) return undefined;
  return { passed: pass, failed: (last('fail') ?? 0) + (last('cancelled') ?? 0), skipped: (last('skipped') ?? 0) + (last('todo') ?? 0) };
}

function ctestCounts(output) {
  const match = /(\d+)% tests passed, (\d+) tests? failed out of (\d+)/.exec(output);
  if (!match) return undefined;
  const total = Number(match[3]);
  const failed = Number(match[2]);
  return { passed: total - failed, failed, skipped: 0 };
}

const countText = (c) => (c === undefined ? 'no summary line' : `${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`);

let majors = MATRIX_MAJORS;
if (nodeArg !== -1) {
  try {
    majors = parseMajors(args[nodeArg + 1]);
  } catch (error) {
    console.error(`test: ${error.message}`);
    process.exit(2);
  }
}
const nodes = matrixNodes(majors);
const missing = nodes.filter((node) => node.bin === undefined);
if (missing.length > 0) {
  for (const node of missing) console.error(`test: ${missingMessage(node)}`);
  if (inCi) {
    console.error('test: CI=true: every Node of the matrix must run; scripts/setup.sh installs them (node scripts/runtimes.mjs install)');
    process.exit(1);
  }
}
const present = nodes.filter((node) => node.bin !== undefined);
if (present.length === 0) {
  console.error('test: none of the Nodes asked for is here; nothing run');
  process.exit(1);
}
if (missing.length > 0) console.error(`test: running on ${present.map((n) => n.label).join(', ')} only`);

// The wasm too when Emscripten is here (CI always has it); else the JS over
// the wasm already in dist/, said out loud.
if (haveEmscripten()) {
  run(process.execPath, [join('scripts', 'build.mjs')]);
} else {
  console.warn('test: no Emscripten here: testing the JS layer over the wasm already in dist/wasm');
  run(process.execPath, [join('scripts', 'build.mjs'), '--js-only']);
}

const results = [];
if (!onlyJs) {
  run('cmake', ['-S', '.', '-B', 'build-native', '-DCMAKE_BUILD_TYPE=Debug', '-DMELLEA_SANITIZE=ON']);
  run('cmake', ['--build', 'build-native', '-j2']);
  console.log('');
  const started = Date.now();
  const ctest = await runCapturing('ctest', ['--test-dir', 'build-native', '--output-on-failure'], process.env);
  results.push({ label: 'C++ (CTest)', status: ctest.status, counts: ctestCounts(ctest.output), seconds: (Date.now() - started) / 1000 });
  if (ctest.status !== 0) console.error(`test: ctest exited with ${ctest.status}`);
}

const files = readdirSync(join(root, 'tests'))
  .filter((f) => f.endsWith('.test.mjs'))
  .sort();
const primary = present[0];
for (const node of present) {
  const repeat = node !== primary;
  const mine = repeat ? files.filter((f) => !PRIMARY_ONLY_FILE.test(f)) : files;
  const notRepeated = files.filter((f) => !mine.includes(f));
  console.log(`\n=== ${node.label} (${node.version}${node.host ? ', the Node running npm' : ''}${repeat ? `, repeat of ${primary.label}'s run` : ', primary'}): JS tests`);
  if (notRepeated.length > 0) console.log(`test: not repeated on ${node.label} (they run on ${primary.label}; the code they test runs in another host): ${notRepeated.join(', ')}`);
  const env = { ...process.env, MELLEA_TEST_NODE: node.label, MELLEA_PRIMARY_NODE: primary.label };
  if (repeat) env.MELLEA_NODE_REPEAT = '1';
  else delete env.MELLEA_NODE_REPEAT;
  const started = Date.now();
  const result = await runCapturing(node.bin, ['--test', `--test-concurrency=${CONCURRENCY}`, ...mine.map((f) => join('tests', f))], env);
  results.push({ label: `${node.label} ${node.version}`, status: result.status, counts: countsOf(result.output), seconds: (Date.now() - started) / 1000 });
  if (result.status !== 0) console.error(`test: ${node.label}: node --test exited with ${result.status}`);
}

console.log('\ntest: summary');
for (const r of results) console.log(`  ${r.label.padEnd(18)} ${r.status === 0 ? 'ok  ' : 'FAIL'} ${countText(r.counts).padEnd(40)} ${r.seconds.toFixed(0)} s`);
for (const node of missing) console.log(`  ${`${node.label}`.padEnd(18)} NOT RUN: ${missingMessage(node)}`);
const failedRuns = results.filter((r) => r.status !== 0);
const total = results.reduce((sum, r) => ({
  passed: sum.passed + (r.counts?.passed ?? 0),
  failed: sum.failed + (r.counts?.failed ?? (r.status === 0 ? 0 : 1)),
  skipped: sum.skipped + (r.counts?.skipped ?? 0),
}), { passed: 0, failed: 0, skipped: 0 });
// Every runner's failures are in `failed`; a run that failed without a
// summary line (a crash) counts as one failure, so the total cannot say 0.
if (failedRuns.length > 0 && total.failed === 0) total.failed = failedRuns.length;
console.log(`all: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(failedRuns.length === 0 ? 0 : 1);

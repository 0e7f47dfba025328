// For the host tests (tests/host-*.test.mjs): the packed package installed
// into a fresh project as a user installs it, a host (Bun, Deno, workerd)
// started on a script there, and the report the script prints.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runProcess } from './child.mjs';
import { runtimeBin } from '../../scripts/runtimes.mjs';

/** Why a host test cannot run here (its runtime is not installed), or undefined. */
export function hostSkipReason(name) {
  if (runtimeBin(name) !== undefined) return undefined;
  // In CI (.ci/run sets it after setup.sh installed every runtime) a missing
  // one is a broken setup: fail, never skip.
  if (process.env.MELLEA_REQUIRE_RUNTIMES === '1') throw new Error(`${name} is not installed, and MELLEA_REQUIRE_RUNTIMES=1: node scripts/runtimes.mjs install ${name}`);
  return `${name} is not installed: node scripts/runtimes.mjs install ${name} (setup.sh runs it)`;
}

/** The version of `name` in this checkout's node_modules, so the install below is served by npm's cache. */
function checkoutVersion(name) {
  return JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/**
 * A temporary project with `npm pack`'s tarball of this checkout (dist/ as
 * built; packing does not rebuild) and `packages` (at this checkout's
 * versions) installed by npm. Returns { dir, remove() }.
 */
export function installPacked(packages = []) {
  const dir = mkdtempSync(join(tmpdir(), 'mellea-host-'));
  const sh = (cmd, args) => execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'host-app', version: '1.0.0', private: true, type: 'module' }));
  const specs = packages.map((name) => `${name}@${checkoutVersion(name)}`);
  sh('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', join(dir, packed[0].filename), ...specs]);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `bin args` in `cwd` (tests/helpers/child.mjs runProcess, 30 s before a hang is killed). */
export function runHost(bin, args, { cwd, timeoutMs = 30_000, env = {} } = {}) {
  return runProcess(bin, args, { cwd, timeoutMs, env });
}

export const REPORT_PREFIX = 'HOST-REPORT ';

/** The JSON a fixture printed after REPORT_PREFIX; throws with the host's output when there is none. */
export function reportOf(result) {
  const line = result.stdout.split('\n').find((l) => l.startsWith(REPORT_PREFIX));
  if (line === undefined) {
    throw new Error(`no report (status ${result.status}, signal ${result.signal}, timed out ${result.timedOut})\nstdout:\n${result.stdout.slice(-4000)}\nstderr:\n${result.stderr.slice(-4000)}`);
  }
  return JSON.parse(line.slice(REPORT_PREFIX.length));
}

// No update checks or telemetry from the hosts under test (the tests reach 127.0.0.1 only).
const QUIET = { DENO_NO_UPDATE_CHECK: '1', DO_NOT_TRACK: '1' };
const CHECK_ENTRIES = ['mellea-context', 'mellea-context/pino', 'mellea-context/console', 'mellea-context/winston', 'mellea-context/http', 'mellea-context/otel', 'mellea-context/worker', 'mellea-context/bullmq'];
const HEX32 = /^[0-9a-f]{32}$/;

/** The JSON lines of `lines` whose `key` matches `pattern`, by the pattern's first group. */
function linesBy(lines, key, pattern) {
  const found = new Map();
  for (const line of lines) {
    const record = JSON.parse(line);
    const match = pattern.exec(String(record[key]));
    if (match) found.set(Number(match[1]), record);
  }
  return found;
}

/**
 * The behaviour tests of tests/fixtures/host-check.mjs on one host: `runtime`
 * (a name in scripts/runtimes.json) runs `args(fixture)` in a fresh project
 * with the packed package, pino and @opentelemetry/api installed by npm.
 */
export function hostCheckSuite(runtime, args, { describe, it, before, after }) {
  const skip = hostSkipReason(runtime);
  describe(`${runtime}: the packed package`, { skip }, () => {
    let project;
    let report;
    before(async () => {
      project = installPacked(['pino', '@opentelemetry/api']);
      writeFileSync(join(project.dir, 'host-check.mjs'), readFileSync(join(repoRoot, 'tests/fixtures/host-check.mjs')));
      report = reportOf(await runHost(runtimeBin(runtime), args('host-check.mjs'), { cwd: project.dir, env: QUIET }));
    });
    after(() => project?.remove());

    it('loads every entry point through import and require, as one store', () => {
      assert.equal(report.host, runtime);
      const expected = Object.fromEntries(CHECK_ENTRIES.map((entry) => [entry, { esm: 'ok', cjs: 'ok' }]));
      assert.deepEqual(report.entries, expected);
      assert.equal(report.oneStore, 'one-store');
    });

    it('keeps 200 concurrent tasks apart across timers and awaits', () => {
      assert.equal(report.tasksError, undefined);
      assert.equal(report.tasks.length, 200);
      for (const task of report.tasks) {
        assert.equal(task.session, `task-${task.i}`);
        assert.match(task.request, HEX32);
        assert.equal(task.requestAfter, task.request);
      }
      assert.equal(new Set(report.tasks.map((task) => task.request)).size, 200, 'every task has its own request id');
    });

    it("writes each task's own fields on its pino and console lines", () => {
      const pinoByTask = linesBy(report.pinoLines, 'task', /^(\d+)$/);
      const consoleByTask = linesBy(report.consoleLines, 'message', /^task (\d+)$/);
      assert.equal(pinoByTask.size, 200);
      assert.equal(consoleByTask.size, 200);
      for (const task of report.tasks) {
        const fields = { session_id: `task-${task.i}`, request_id: task.request, model_id: `m-${task.i % 7}` };
        const { session_id, request_id, model_id } = pinoByTask.get(task.i);
        assert.deepEqual({ session_id, request_id, model_id }, fields, `pino line of task ${task.i}`);
        const line = consoleByTask.get(task.i);
        assert.deepEqual({ session_id: line.session_id, request_id: line.request_id, model_id: line.model_id }, fields, `console line of task ${task.i}`);
      }
    });

    it('makes fresh scopes of text through its own WebAssembly (JS String Builtins) exactly as the JS write does', () => {
      assert.equal(report.textScopesError, undefined);
      // Deno's V8 and Bun's JavaScriptCore both have the builtins.
      assert.equal(report.textScopes.inUse, true);
      assert.equal(report.textScopes.cases, 90);
      assert.deepEqual(report.textScopes.differences, []);
    });

    it('keeps what enterContext entered to the task that entered it, across awaits and timers', () => {
      assert.equal(report.enterError, undefined);
      const expected = { outerAfter: 'outer', top: null };
      for (const i of [1, 2]) Object.assign(expected, { [`sync-${i}`]: `entered-${i}`, [`afterAwait-${i}`]: `entered-${i}`, [`timer-${i}`]: `entered-${i}` });
      assert.deepEqual(report.enter, expected);
    });

    it(`answers 50 concurrent requests on its own HTTP server, each in its caller's scope (baggage via contextFetch)`, () => {
      assert.equal(report.serverError, undefined);
      assert.equal(report.requests.length, 50);
      const consoleByRequest = linesBy(report.consoleLines, 'message', /^request (\d+)$/);
      assert.equal(consoleByRequest.size, 50);
      for (const { i, sentRequest, status, body } of report.requests) {
        assert.equal(status, 200);
        assert.equal(body.i, String(i));
        assert.deepEqual(body.inbound, { session_id: `client-${i}`, request_id: sentRequest }, `baggage received by request ${i}`);
        assert.equal(body.session, `client-${i}`);
        assert.match(body.request, HEX32);
        assert.notEqual(body.request, sentRequest);
        const line = consoleByRequest.get(i);
        assert.deepEqual({ session_id: line.session_id, request_id: line.request_id }, { session_id: `client-${i}`, request_id: body.request }, `console line of request ${i}`);
      }
      assert.equal(new Set(report.requests.map((r) => r.body.request)).size, 50, 'every request has its own id');
    });

    it('injects and extracts baggage', () => {
      assert.equal(report.baggageError, undefined);
      assert.deepEqual(report.baggage.extracted, { session_id: 'bag-1', request_id: 'req-1', model_id: 'granite-4.0', sampling_iteration: 2 });
      assert.deepEqual(report.baggage.outside, {}, 'outside any scope nothing is written');
    });
  });
}

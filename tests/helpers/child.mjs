// Runs an ES module source in a fresh Node process (cwd = the repository, so
// `import 'mellea-context'` and `./tests/helpers/...` resolve), for tests that
// change process-wide settings (configure, defineField) or that may leave the
// core unusable (a trapped or corrupted wasm module must not take the rest of
// the test file down with it). A hang is killed after `timeoutMs`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Runs `bin args`; resolves with { status, signal, stdout, stderr, timedOut,
 * ms }. A hang is killed after `timeoutMs`.
 */
export function runProcess(bin, args, { cwd = repoRoot, timeoutMs = 60_000, env = {} } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(bin, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, timedOut, ms: performance.now() - started });
    });
  });
}

/**
 * Runs an ES module source in this Node; resolves as runProcess.
 * `nodeArgs` go before the script (e.g. '--expose-gc').
 */
export function runModule(source, { timeoutMs = 60_000, env = {}, nodeArgs = [] } = {}) {
  return runProcess(process.execPath, [...nodeArgs, '--input-type=module', '-e', source], { timeoutMs, env });
}

/** Asserts the child exited 0 in time; its stderr (assertion messages) becomes the failure text. */
export function assertChildOk(result, what = 'child process') {
  const tail = (text) => (text.length > 4000 ? `…${text.slice(-4000)}` : text);
  assert.ok(!result.timedOut, `${what}: hung (killed after the timeout)\n${tail(result.stderr)}`);
  assert.equal(result.status, 0, `${what}: exited with ${result.status ?? result.signal}\n--- stderr\n${tail(result.stderr)}\n--- stdout\n${tail(result.stdout)}`);
  assert.doesNotMatch(result.stderr, /Aborted\(|RuntimeError|memory access out of bounds/, `${what}: the wasm core aborted or trapped\n${tail(result.stderr)}`);
}

/** runModule + assertChildOk; returns the result (stdout for extra checks). */
export async function runChecked(source, options = {}) {
  const result = await runModule(source, options);
  assertChildOk(result, options.what);
  return result;
}

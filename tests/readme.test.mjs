// Every code block of README.md runs as a test, as a user would paste it
// into a fresh project that installed the package: ```js/```javascript/
// ```mjs/```ts blocks run in a child process in a temporary project whose
// node_modules/mellea-context is this checkout (its built dist/), next to
// the packages the snippets import (this checkout's node_modules, linked).
// A block passes when it exits 0 within the timeout and its output has, in
// order, a line matching each `// prints: …` comment (`…` = anything);
// `// prints on Node 20-22: …` and `// prints on Node 24+: …` hold only on the
// Nodes they name (blocks run on the Node running this test, once per Node of
// `npm test`'s matrix).
// ```ts blocks must also type-check (tsc --strict, module nodenext).
// ```sh blocks are not run (they set up machines); the scripts and files
// they name must exist. A block is skipped only with a reason:
// `<!-- readme-test: skip (reason) -->` on the line before it. A block
// marked `<!-- readme-test: workerd -->` is a Cloudflare Worker: bundled as
// wrangler bundles it and served by workerd (tests/helpers/workerd.mjs),
// it gets one GET / with `baggage: mellea.session_id=s-1`; its `// prints:`
// lines are matched against workerd's output followed by the response body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeBlocks, expectedOutput, firstUnmet } from './helpers/readme-blocks.mjs';
import { redisSkipReason, startRedis } from './helpers/redis.mjs';
import { hostSkipReason } from './helpers/hosts.mjs';
import { bundleWorker, startWorkerd, writeWorkerdConfig } from './helpers/workerd.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const README = readFileSync(join(root, 'README.md'), 'utf8');
const PACKAGE = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const RUNNABLE = new Set(['js', 'javascript', 'mjs', 'ts']);
const TIMEOUT_MS = 30_000;
const blocks = codeBlocks(README);

/** A temporary project: package.json, node_modules/mellea-context -> this checkout, devDependencies linked. */
function makeProject() {
  const dir = mkdtempSync(join(tmpdir(), 'mellea-readme-'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "readme-snippet", "private": true, "type": "module" }\n');
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  symlinkSync(root, join(modules, 'mellea-context'), 'dir');
  const ours = join(root, 'node_modules');
  for (const name of readdirSync(ours)) {
    if (name.startsWith('.') || name === 'mellea-context') continue;
    symlinkSync(join(ours, name), join(modules, name), 'dir');
  }
  return dir;
}

function run(file, cwd, env = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd, timeout: TIMEOUT_MS, maxBuffer: 16 << 20, env: { ...process.env, NODE_OPTIONS: '', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.killed ? 'timeout' : error.code) : 0, stdout, stderr });
    });
  });
}

async function sourceFor(block) {
  if (block.lang !== 'ts') {
    // A block that only require()s is a CommonJS file; anything else is ESM.
    const cjs = /\brequire\(/.test(block.code) && !/^\s*import\s/m.test(block.code);
    return { code: block.code, ext: cjs ? 'cjs' : 'mjs' };
  }
  const { default: ts } = await import('typescript');
  const out = ts.transpileModule(block.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  return { code: out.outputText, ext: 'mjs' };
}

test('README: every skip marker gives a reason', () => {
  const bad = blocks.filter((block) => block.skip?.error !== undefined).map((block) => `line ${block.line}: ${block.skip.error}`);
  assert.deepEqual(bad, []);
});

test('README: the code blocks were found', () => {
  assert.ok(blocks.filter((block) => RUNNABLE.has(block.lang)).length >= 5, 'expected several runnable blocks');
});

test('README harness: a wrong promise, a missing reason and a skip are each caught', () => {
  const md = [
    '## A',
    '```js',
    "console.log('a 1'); // prints: a …",
    '// prints: b',
    '```',
    '<!-- readme-test: skip -->',
    '```js',
    'x',
    '```',
    '<!-- readme-test: skip (needs a GPU) -->',
    '',
    '```ts',
    'y',
    '```',
  ].join('\n');
  const [first, reasonless, skipped] = codeBlocks(md);
  assert.deepEqual(expectedOutput(first.code), ['a …', 'b']);
  const byNode = ['// prints on Node 20-22: old', '// prints on Node 24+: new', '// prints on Node 22: only 22', '// prints: all'].join('\n');
  assert.deepEqual(expectedOutput(byNode, 20), ['old', 'all']);
  assert.deepEqual(expectedOutput(byNode, 22), ['old', 'only 22', 'all']);
  assert.deepEqual(expectedOutput(byNode, 24), ['new', 'all']);
  assert.deepEqual(expectedOutput(byNode, 26), ['new', 'all']);
  assert.equal(firstUnmet(expectedOutput(first.code), 'a 1\nb\n'), undefined);
  assert.equal(firstUnmet(expectedOutput(first.code), 'b\na 1\n'), 'b', 'order matters');
  assert.equal(firstUnmet(['{"a":…}'], '{"a":1,"b":2}'), undefined);
  assert.equal(firstUnmet(['{"a":1}'], '{"a":1,"b":2}'), '{"a":1}', 'whole lines, not prefixes');
  assert.match(reasonless.skip.error, /without a reason/);
  assert.deepEqual(skipped.skip, { reason: 'needs a GPU' });
  assert.equal(skipped.lang, 'ts');
  assert.equal(first.section, 'A');
});

test('README harness: a workerd marker makes a block a Worker', () => {
  const [worker, plain] = codeBlocks(['<!-- readme-test: workerd -->', '```js', 'export default {};', '```', '```js', 'x', '```'].join('\n'));
  assert.equal(worker.host, 'workerd');
  assert.equal(worker.skip, undefined);
  assert.equal(plain.host, 'node');
});

let project;
// Blocks that use BullMQ get a real Redis (started once, on a free port),
// named to them as REDIS_PORT, as a deployment names its Redis.
let redis;
test.after(async () => {
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
  await redis?.stop();
});
const needsRedis = (block) => /from 'bullmq'/.test(block.code);

for (const block of blocks) {
  const name = `README line ${block.line} (${block.section}), ${block.lang}`;
  if (block.skip?.reason !== undefined) {
    test(name, { skip: block.skip.reason }, () => {});
    continue;
  }
  if (block.lang === 'sh') {
    test(`${name}: the commands it names exist`, () => {
      for (const line of block.code.split('\n')) {
        for (const command of line.split('&&').map((part) => part.trim())) {
          const script = /^npm (?:run (\S+)|(start|test))\b/.exec(command);
          if (script) assert.ok(PACKAGE.scripts?.[script[1] ?? script[2]], `no npm script ${script[1] ?? script[2]} (line ${block.line}: ${command})`);
          const file = /^(?:bash|sh|node) (\S+)/.exec(command);
          if (file) assert.ok(existsSync(join(root, file[1])), `no file ${file[1]} (line ${block.line}: ${command})`);
          const install = /^npm install (\S+)/.exec(command);
          if (install) assert.equal(install[1], PACKAGE.name, `line ${block.line} installs another package`);
        }
      }
    });
    continue;
  }
  if (!RUNNABLE.has(block.lang)) continue;
  if (block.host === 'workerd') {
    test(`${name}, in workerd`, { timeout: TIMEOUT_MS + 5000, skip: hostSkipReason('workerd') }, async () => {
      project ??= makeProject();
      const { code } = await sourceFor(block);
      const entry = join(project, `worker-${block.line}.mjs`);
      writeFileSync(entry, code);
      const out = join(project, `worker-${block.line}`);
      writeWorkerdConfig(out, await bundleWorker(entry, out));
      const workerd = await startWorkerd(out);
      let response;
      let body;
      try {
        response = await fetch(`http://127.0.0.1:${workerd.port}/`, { headers: { baggage: 'mellea.session_id=s-1' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
        body = await response.text();
      } finally {
        await workerd.stop(); // its output is whole once it has exited
      }
      const output = `${workerd.output()}\n${body}`;
      assert.equal(response.status, 200, `README.md line ${block.line} answered ${response.status}\n${output.slice(0, 3000)}`);
      const unmet = firstUnmet(expectedOutput(block.code), output);
      assert.equal(unmet, undefined, `README.md line ${block.line}: no output line matches the comment\n  // prints: ${unmet}\n--- output ---\n${output.slice(0, 3000)}`);
    });
    continue;
  }
  const redisMissing = needsRedis(block) ? redisSkipReason() : undefined;
  test(name, { timeout: TIMEOUT_MS + 5000, skip: redisMissing }, async () => {
    project ??= makeProject();
    const env = {};
    if (needsRedis(block)) {
      redis ??= await startRedis();
      env.REDIS_PORT = String(redis.port);
    }
    const { code, ext } = await sourceFor(block);
    const file = join(project, `block-${block.line}.${ext}`);
    writeFileSync(file, code);
    if (block.lang === 'ts') {
      // A TypeScript block must also type-check, strict, as a Node ESM file.
      const tsFile = join(project, `block-${block.line}.mts`);
      writeFileSync(tsFile, block.code);
      const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      const flags = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck', tsFile];
      const checked = await new Promise((resolve) => execFile(process.execPath, [tsc, ...flags], { cwd: project, timeout: TIMEOUT_MS }, (error, stdout) => resolve(error ? stdout || String(error) : '')));
      assert.equal(checked, '', `README.md line ${block.line} does not type-check`);
    }
    const result = await run(file, project, env);
    const where = `README.md line ${block.line}`;
    assert.equal(result.code, 0, `${where} exited with ${result.code}\n--- stderr ---\n${result.stderr.slice(0, 3000)}`);
    const unmet = firstUnmet(expectedOutput(block.code), result.stdout);
    assert.equal(unmet, undefined, `${where}: no output line matches the comment\n  // prints: ${unmet}\n--- stdout ---\n${result.stdout.slice(0, 3000)}`);
  });
}

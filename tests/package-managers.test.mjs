// The packed tarball (`npm pack`) installed by each package manager into a
// fresh project, with the frameworks an app would install next to it: npm
// (flat node_modules), pnpm (isolated node_modules in a workspace, with
// hoist=false: a package sees only what it declares) and Yarn PnP (strict,
// no fallback, no node_modules at all). In each, an Express + pino-http service and a
// Fastify service (fastifyOptions + fastifyContext) answer concurrent
// requests, and every request line, Fastify's own "incoming request" and
// "request completed" included, carries that request's session_id and
// request_id (tests/fixtures/package-managers/service.mjs). With npm also:
// the older majors the optional peers name (versions.mjs), fastifyOptions()
// with no Fastify loaded, and a linked checkout of the package with a second
// copy of Fastify in its own folder, where the app's copy is the one used.
//
// Installs come from the registry through each tool's cache: npm's cache
// (the versions this checkout's node_modules has), pnpm's store and Yarn's
// cache under the ignored .runtimes/ folder, so a second run is offline in
// practice. pnpm and Yarn are pinned in scripts/runtimes.json (setup.sh
// installs them).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runtimeBin } from '../scripts/runtimes.mjs';
import { hostSkipReason } from './helpers/hosts.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'tests', 'fixtures', 'package-managers');
const CONCURRENCY = 20; // as in service.mjs
// @opentelemetry/api: the one peer the package imports itself (mellea-context/otel).
const FRAMEWORKS = ['express', 'pino', 'pino-http', 'fastify', '@opentelemetry/api'];
// The versions this checkout is tested with, so npm finds them in its cache.
const VERSIONS = Object.fromEntries(FRAMEWORKS.map((name) => [name, JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version]));
// The older majors package.json's optional peers also name, installed under
// aliases next to the current ones (versions.mjs): pino 9, pino-http 10, and
// Fastify 5.9, the last release before Fastify's LogController (5.10.0).
const OLDER = ['pino9@npm:pino@9.14.0', 'pino-http10@npm:pino-http@10.5.0', 'fastify59@npm:fastify@5.9.0'];
const ID = /^[0-9a-f]{32}$/;
const pnpm = runtimeBin('pnpm');
const yarn = runtimeBin('yarn');

let work;
let tarball;

/** Runs a command; resolves stdout, or fails with its output. Bounded by `timeoutMs`. */
function sh(cmd, args, cwd, { env = {}, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 32 << 20, env: { ...process.env, NODE_OPTIONS: '', ...env } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${error.killed ? 'timed out' : error.code}\n--- stdout\n${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-4000)}`));
      else resolve(stdout);
    });
  });
}

/** Runs `node <args>` (or a launcher such as `yarn node`) in `cwd`; parses its last stdout line as JSON. */
async function runJson(cmd, args, cwd, options) {
  const stdout = await sh(cmd, args, cwd, options);
  const last = stdout.trim().split('\n').at(-1);
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`not a JSON line from ${args.join(' ')}:\n${stdout.slice(-4000)}`);
  }
}

/** A fresh project with the fixtures copied in. */
function project(name, manifest = {}) {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `pm-${name.replace(/\W/g, '-')}`, version: '1.0.0', private: true, type: 'module', ...manifest }, null, 2));
  for (const file of readdirSync(fixtures)) copyFileSync(join(fixtures, file), join(dir, file));
  return dir;
}

/** Every request line of both services carries its request's session_id and request_id. */
function assertFieldsOnEveryLine(out, what) {
  const expected = { express: ['handler', 'request completed'], fastify: ['handler', 'incoming request', 'request completed'] };
  for (const [name, messages] of Object.entries(expected)) {
    const responses = out.responses[name];
    assert.equal(responses.length, CONCURRENCY, `${what} ${name}: responses`);
    const byId = new Map(responses.map((r) => [r.id, r]));
    assert.equal(byId.size, CONCURRENCY, `${what} ${name}: one id per request`);
    for (const r of responses) {
      assert.equal(r.status, 200, `${what} ${name}`);
      assert.match(r.id, ID, `${what} ${name}: x-request-id`);
    }
    const records = out.lines[name].map((line) => JSON.parse(line)).filter((r) => !/^Server listening/.test(r.msg));
    for (const record of records) {
      const r = byId.get(record.request_id);
      assert.ok(r !== undefined, `${what} ${name}: a line without its request's request_id: ${JSON.stringify(record)}`);
      assert.equal(record.session_id, r.session, `${what} ${name}: "${record.msg}" has another request's session_id`);
    }
    for (const r of responses) {
      const mine = records.filter((record) => record.request_id === r.id).map((record) => record.msg).sort();
      assert.deepEqual(mine, messages, `${what} ${name}: the lines of request ${r.session}`);
    }
  }
}

/** Where each name resolves (real path, or false) from the installed package's own folder, as a require() inside it would, and from the app. */
const RESOLVES_FROM_PACKAGE = `
  const { createRequire } = require('node:module');
  const { realpathSync } = require('node:fs');
  const { dirname } = require('node:path');
  const inside = createRequire(dirname(realpathSync(require.resolve('mellea-context/http'))) + '/');
  const where = (req, name) => { try { return realpathSync(req.resolve(name)); } catch { return false; } };
  const out = { inside: {}, app: {} };
  for (const name of JSON.parse(process.argv[1])) { out.inside[name] = where(inside, name); out.app[name] = where(require, name); }
  console.log(JSON.stringify(out));
`;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'mellea-pm-'));
  // dist/ is built already (npm test builds first); --ignore-scripts so packing does not rebuild it.
  const packed = JSON.parse(await sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root));
  tarball = join(work, packed[0].filename);
});

after(() => rmSync(work, { recursive: true, force: true }));

describe('npm (flat node_modules)', () => {
  let app;
  before(async () => {
    app = project('npm');
    await sh('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', tarball, ...FRAMEWORKS.map((n) => `${n}@${VERSIONS[n]}`), ...OLDER], app);
  });

  it('Express + pino-http and Fastify: every line has its session_id and request_id (default and { fastify })', async () => {
    assertFieldsOnEveryLine(await runJson(process.execPath, ['service.mjs'], app), 'npm');
    assertFieldsOnEveryLine(await runJson(process.execPath, ['service.mjs', 'explicit'], app), 'npm, { fastify }');
  });

  it('fastifyOptions() with no Fastify loaded throws ERR_MELLEA_FRAMEWORK_NOT_FOUND, naming the fix', async () => {
    const out = await runJson(process.execPath, ['not-loaded.mjs'], app);
    assert.equal(out.code, 'ERR_MELLEA_FRAMEWORK_NOT_FOUND');
    assert.match(out.message, /fastifyOptions\(\{ fastify: Fastify \}\)/);
  });

  it('the older peers it declares: pino 9 beside pino 10 (two copies), pino-http 10, Fastify 5.9 (id only on its own lines)', async () => {
    const out = await runJson(process.execPath, ['versions.mjs'], app);
    assert.match(out.versions.pino9, /^9\./);
    // Every line of either copy has session_id once: the scope's, or the child's own binding.
    for (const { hook, copy, lines } of out.pino) {
      assert.equal(lines.length, 2, `${hook} ${copy}`);
      for (const line of lines) assert.equal(line.split('"session_id":').length - 1, 1, `${hook} ${copy}: ${line}`);
      const [plain, bound] = lines.map((line) => JSON.parse(line));
      assert.deepEqual([plain.session_id, plain.model_id], ['s-scope', 'm'], `${hook} ${copy}`);
      assert.deepEqual([bound.session_id, bound.model_id], ['s-bound', 'm'], `${hook} ${copy}`);
    }
    const { responses, lines } = out.pinoHttp10;
    const records = lines.map((line) => JSON.parse(line));
    assert.equal(records.length, 2 * responses.length);
    for (const r of responses) {
      const mine = records.filter((record) => record.request_id === r.id);
      assert.deepEqual(mine.map((record) => record.msg).sort(), ['handler', 'request completed'], r.session);
      for (const record of mine) assert.equal(record.session_id, r.session, record.msg);
    }
    // Fastify 5.9: the documented fallback, found by default (an aliased folder) and when passed.
    assert.deepEqual(out.fastify59.defaultKeys, ['genReqId', 'requestIdLogLabel']);
    assert.deepEqual(out.fastify59.passedKeys, ['genReqId', 'requestIdLogLabel']);
    const fastifyRecords = out.fastify59.lines.map((line) => JSON.parse(line));
    assert.deepEqual(fastifyRecords.map((record) => record.msg).sort(), ['handler', 'incoming request', 'request completed']);
    for (const record of fastifyRecords) assert.equal(record.request_id, out.fastify59.id, record.msg);
    assert.equal(fastifyRecords.find((record) => record.msg === 'handler').session_id, 's-59');
  });

  describe('a linked checkout of the package with its own Fastify (two copies)', () => {
    let linked;
    before(async () => {
      // The checkout: the tarball's files, plus node_modules/fastify of its own
      // (this repository's copy), as `npm link` or a monorepo workspace gives.
      const checkout = join(work, 'checkout');
      mkdirSync(checkout);
      await sh('tar', ['-xzf', tarball, '-C', checkout], work);
      mkdirSync(join(checkout, 'package', 'node_modules'));
      symlinkSync(join(root, 'node_modules', 'fastify'), join(checkout, 'package', 'node_modules', 'fastify'), 'dir');
      // The app: the npm project's frameworks, and mellea-context linked to the checkout.
      linked = project('linked');
      mkdirSync(join(linked, 'node_modules'));
      for (const name of readdirSync(join(app, 'node_modules'))) {
        if (name.startsWith('.') || name === 'mellea-context') continue;
        symlinkSync(join(app, 'node_modules', name), join(linked, 'node_modules', name), 'dir');
      }
      symlinkSync(join(checkout, 'package'), join(linked, 'node_modules', 'mellea-context'), 'dir');
    });

    it("uses the app's Fastify: the other copy's LogController would be refused, the default is accepted", async () => {
      const out = await runJson(process.execPath, ['two-copies.mjs'], linked);
      assert.notEqual(out.appFastify, out.packageFastify, 'the setup has two copies of Fastify');
      assert.ok(out.otherIsDifferent);
      // What require('fastify') from the package's folder used to give: Fastify refuses it.
      assert.equal(out.otherRefusedWith, 'FST_ERR_LOG_INVALID_LOG_CONTROLLER');
      assert.equal(out.defaultAccepted, true);
      // With both copies loaded, the default says it cannot tell; the option works.
      assert.equal(out.ambiguousCode, 'ERR_MELLEA_FRAMEWORK_AMBIGUOUS');
      assert.equal(out.explicitAccepted, true);
    });

    it('Express + pino-http and Fastify: every line has its fields', async () => {
      assertFieldsOnEveryLine(await runJson(process.execPath, ['service.mjs'], linked), 'linked checkout');
    });
  });
});

// pnpm's isolated layout puts every package in its store
// (node_modules/.pnpm) and gives each only what it declares, except what
// Node finds by walking up to the project's own node_modules. In a
// workspace the app is a member with its own node_modules, so a package
// sees only its declared dependencies: the layout where a require('fastify')
// from inside the package found nothing. hoist=false removes pnpm's hidden
// hoisted folder (node_modules/.pnpm/node_modules) too.
describe('pnpm workspace (isolated node_modules, strict: hoist=false)', { skip: hostSkipReason('pnpm') }, () => {
  let app;
  before(async () => {
    const workspace = join(work, 'pnpm-workspace');
    mkdirSync(workspace);
    writeFileSync(join(workspace, 'package.json'), JSON.stringify({ name: 'pm-pnpm-workspace', private: true }));
    writeFileSync(join(workspace, 'pnpm-workspace.yaml'), 'packages:\n  - app\n');
    app = project(join('pnpm-workspace', 'app'), { dependencies: { 'mellea-context': `file:${tarball}`, ...VERSIONS } });
    await sh(process.execPath, [pnpm, 'install', '--config.node-linker=isolated', '--config.hoist=false', '--store-dir', join(root, '.runtimes', 'pnpm-store'), '--prefer-offline', '--ignore-scripts', '--reporter=append-only'], workspace, { env: { CI: 'true' } });
  });

  it('the layout is strict: from the package only its declared (peer) dependencies resolve, each to the app\'s copy', async () => {
    const { inside, app: fromApp } = await runJson(process.execPath, ['-e', RESOLVES_FROM_PACKAGE, JSON.stringify(['express', 'fastify', '@opentelemetry/api'])], app);
    assert.equal(inside.express, false, 'express (not declared) is not visible from the package');
    assert.ok(fromApp.express, 'the app has express');
    // Optional peers are linked by pnpm to the app's own copies.
    assert.equal(inside.fastify, fromApp.fastify);
    assert.ok(fromApp['@opentelemetry/api']);
    assert.equal(inside['@opentelemetry/api'], fromApp['@opentelemetry/api'], 'mellea-context/otel imports the app\'s @opentelemetry/api');
  });

  it('Express + pino-http and Fastify: every line has its session_id and request_id (default and { fastify })', async () => {
    assertFieldsOnEveryLine(await runJson(process.execPath, ['service.mjs'], app), 'pnpm');
    assertFieldsOnEveryLine(await runJson(process.execPath, ['service.mjs', 'explicit'], app), 'pnpm, { fastify }');
  });
});

describe('Yarn PnP (no node_modules, no fallback)', { skip: hostSkipReason('yarn') }, () => {
  let app;
  const cache = join(root, '.runtimes', 'yarn-cache');
  // Yarn's settings for these runs: PnP, strict, a cache kept between runs,
  // nothing global. PnP's default fallback lets a package reach the app's own
  // dependencies; pnpFallbackMode none takes that away too.
  const env = {
    YARN_NODE_LINKER: 'pnp',
    YARN_PNP_MODE: 'strict',
    YARN_PNP_FALLBACK_MODE: 'none',
    YARN_ENABLE_GLOBAL_CACHE: 'false',
    YARN_CACHE_FOLDER: cache,
    YARN_ENABLE_IMMUTABLE_INSTALLS: 'false',
    YARN_ENABLE_TELEMETRY: 'false',
    YARN_ENABLE_SCRIPTS: 'false',
    YARN_ENABLE_PROGRESS_BARS: 'false',
  };
  before(async () => {
    app = project('yarn', { dependencies: { 'mellea-context': `file:${tarball}`, ...VERSIONS } });
    writeFileSync(join(app, 'yarn.lock'), '');
    // The tarball is new each run: drop the cached copies of earlier runs' tarballs.
    mkdirSync(cache, { recursive: true });
    for (const file of readdirSync(cache)) if (file.startsWith('mellea-context-')) rmSync(join(cache, file), { force: true });
    await sh(process.execPath, [yarn, 'install'], app, { env });
  });

  it("the package's optional peers resolve to the app's copies; an undeclared package does not resolve", async () => {
    const { inside, app: fromApp } = await runJson(process.execPath, [yarn, 'node', '-e', RESOLVES_FROM_PACKAGE, JSON.stringify(['express', 'fastify', '@opentelemetry/api'])], app, { env });
    assert.equal(inside.express, false, 'express (not declared) is not visible from the package');
    assert.ok(fromApp.express && fromApp.fastify && fromApp['@opentelemetry/api']);
    assert.equal(inside.fastify, fromApp.fastify);
    assert.equal(inside['@opentelemetry/api'], fromApp['@opentelemetry/api']);
  });

  it('Express + pino-http and Fastify: every line has its session_id and request_id (default and { fastify })', async () => {
    assertFieldsOnEveryLine(await runJson(process.execPath, [yarn, 'node', 'service.mjs'], app, { env }), 'Yarn PnP');
    assertFieldsOnEveryLine(await runJson(process.execPath, [yarn, 'node', 'service.mjs', 'explicit'], app, { env }), 'Yarn PnP, { fastify }');
  });
});

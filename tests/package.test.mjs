// The published tarball: installed into an empty project (no build, no
// scripts, no network), it works through require and import alike, both see
// one and the same store, and its types resolve for both.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { primaryNodeOnly, TYPE_CHECK } from './helpers/node-matrix.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Everything but mellea-context/otel loads without the optional peer
// @opentelemetry/api; the otel entry needs it.
const ENTRIES = ['mellea-context', 'mellea-context/pino', 'mellea-context/console', 'mellea-context/winston', 'mellea-context/http'];
let work;
let files;

function sh(cmd, args, cwd, env = {}) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'mellea-pack-'));
  // dist/ is already built (npm ci ran prepare); packing must not rebuild.
  const packed = JSON.parse(sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root));
  files = packed[0].files.map((f) => f.path);
  const tarball = join(work, packed[0].filename);
  const app = join(work, 'app');
  sh('mkdir', ['-p', app], work);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  // No scripts, no registry: the tarball has no dependencies to fetch.
  sh('npm', ['install', '--ignore-scripts', '--offline', '--no-audit', '--no-fund', tarball], app);
});

after(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack tarball', () => {
  it('carries the compiled core and no sources or build inputs', () => {
    for (const needed of ['dist/wasm/mellea_core.cjs', 'dist/wasm/mellea_core_wasm.cjs', 'dist/browser/mellea_core.wasm', 'dist/cjs/index.js', 'dist/esm/index.mjs', 'dist/types/index.d.cts', 'dist/types/index.d.mts', 'dist/workerd/index.js', 'dist/workerd/console.js', 'dist/workerd/http.js', 'LICENSE']) {
      assert.ok(files.includes(needed), `${needed} missing from the tarball`);
    }
    assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('tests/') || f.startsWith('build')), files.join('\n'));
    // The hand-written types/ import './x.js' names that do not exist there: only dist/types ships.
    assert.ok(!files.some((f) => f.startsWith('types/')), files.join('\n'));
    // One wasm build: no second binary of an earlier layout (the Workers build imports the browsers' file).
    assert.deepEqual(files.filter((f) => f.endsWith('.wasm')), ['dist/browser/mellea_core.wasm']);
    // One glue for every host (Workers too: it is linked without code
    // generation from strings), and the Node runtime's fresh-scope crossing
    // (src/text_changes.wat assembled, base64).
    assert.deepEqual(files.filter((f) => f.startsWith('dist/wasm/')).sort(), ['dist/wasm/mellea_core.cjs', 'dist/wasm/mellea_core_wasm.cjs', 'dist/wasm/text_changes_wasm.cjs']);
  });

  it('works through require and import in an empty project, as one store', () => {
    const app = join(work, 'app');
    writeFileSync(join(app, 'check.mjs'), `
      import { createRequire } from 'node:module';
      import * as esm from 'mellea-context';
      const require = createRequire(import.meta.url);
      const cjs = require('mellea-context');
      for (const entry of ${JSON.stringify(ENTRIES)}) { await import(entry); require(entry); }
      if (esm.withContext !== cjs.withContext) throw new Error('two instances');
      const seen = esm.withContext({ sessionId: 's-pack', model_id: 'm' }, () => cjs.getCurrentContext());
      console.log(JSON.stringify({ seen, id: cjs.generateRequestId(), stats: esm.storeStats() }));
    `);
    // PATH without any compiler or Emscripten: only node itself.
    const out = JSON.parse(sh(process.execPath, ['check.mjs'], app, { PATH: dirname(process.execPath) }));
    assert.deepEqual(out.seen, { session_id: 's-pack', model_id: 'm' });
    assert.match(out.id, /^[0-9a-f]{32}$/);
    assert.equal(typeof out.stats.liveScopes, 'number');
  });

  it('mellea-context/otel loads once the optional peer @opentelemetry/api is installed', () => {
    const app = join(work, 'app');
    mkdirSync(join(app, 'node_modules', '@opentelemetry'), { recursive: true });
    symlinkSync(join(root, 'node_modules', '@opentelemetry', 'api'), join(app, 'node_modules', '@opentelemetry', 'api'));
    writeFileSync(join(app, 'otel.mjs'), `
      import { createRequire } from 'node:module';
      const otel = await import('mellea-context/otel');
      createRequire(import.meta.url)('mellea-context/otel');
      console.log(JSON.stringify(Object.keys(otel).sort()));
    `);
    const names = JSON.parse(sh(process.execPath, ['otel.mjs'], app, { PATH: dirname(process.execPath) }));
    for (const name of ['ContextPropagator', 'ContextSpanProcessor']) assert.ok(names.includes(name), names.join());
  });

  it('types of every entry point resolve for ESM and CommonJS consumers (tsc, module nodenext)', { skip: primaryNodeOnly(TYPE_CHECK) }, () => {
    const app = join(work, 'app');
    writeFileSync(join(app, 'esm.mts'), `
      import { withContext, getCurrentContext, ContextFieldError, type CurrentContext } from 'mellea-context';
      const ctx: CurrentContext = withContext({ sessionId: 's' }, () => getCurrentContext());
      const n: number = withContext('s', (a: number) => a + 1, 1);
      import { pinoOptions } from 'mellea-context/pino';
      import { installConsole, formatRecord } from 'mellea-context/console';
      import { winstonFormat } from 'mellea-context/winston';
      import { ContextSpanProcessor, injectHeaders } from 'mellea-context/otel';
      import { withRequestContext, extractHeaders } from 'mellea-context/http';
      const line: string = formatRecord({ message: 'm' });
      const headers: Record<string, string> = injectHeaders({});
      export const out = [ctx.session_id, n, ContextFieldError, pinoOptions(), installConsole, winstonFormat(), ContextSpanProcessor, withRequestContext, extractHeaders(headers), line];
    `);
    writeFileSync(join(app, 'cjs.cts'), `
      import mc = require('mellea-context');
      const id: string = mc.generateRequestId();
      const sid: string | undefined = mc.withContext({ session_id: id }, () => mc.getSessionId());
      import otel = require('mellea-context/otel');
      import http = require('mellea-context/http');
      import pino = require('mellea-context/pino');
      const fields = http.extractHeaders(otel.injectHeaders({}));
      export = [sid, fields, pino.pinoMixin];
    `);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
      files: ['esm.mts', 'cjs.cts'],
    }));
    // mellea-context/http's types name node:http, as a Node service's do.
    symlinkSync(join(root, 'node_modules', '@types'), join(app, 'node_modules', '@types'));
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      sh(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
    } catch (error) {
      assert.fail(`tsc failed:\n${error.stdout}${error.stderr}`);
    }
    // And a type error is really reported (the check can fail).
    writeFileSync(join(app, 'esm.mts'), "import { withContext } from 'mellea-context';\nwithContext(42, () => 1);\n");
    assert.throws(() => sh(process.execPath, [tsc, '-p', 'tsconfig.json'], app), (error) => /TS2345/.test(error.stdout));
  });
});

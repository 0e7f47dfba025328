// The browser payload budget (issue 8): what the demo page downloads for the
// library and its own JS stays under 60 KB gzipped, and the demo server
// serves the page's minified bundle that `npm run build` wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const gzipped = (body) => gzipSync(body, { level: 9 }).length;

test('wasm + glue + API + the demo page JS: under 60 KB gzipped', () => {
  const parts = {
    wasm: readFileSync(join(root, 'dist/browser/mellea_core.wasm')),
    glueAndApi: readFileSync(join(root, 'dist/browser/index.js')),
    pageJs: readFileSync(join(root, 'build-web-demo/app.js')),
  };
  const sizes = Object.fromEntries(Object.entries(parts).map(([name, body]) => [name, gzipped(body)]));
  const total = sizes.wasm + sizes.glueAndApi + sizes.pageJs;
  assert.ok(total < 60 * 1024, `payload ${(total / 1024).toFixed(1)} KB gzipped: ${JSON.stringify(sizes)}`);
});

test('the demo server serves the bundled, minified page JS and CSS', async () => {
  const server = spawn(process.execPath, [join(root, 'web-demo', 'server.mjs')], {
    cwd: root,
    env: { ...process.env, PORT: '0', MELLEA_DEMO_QUIET: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      server.stdout.setEncoding('utf8').on('data', (chunk) => {
        out += chunk;
        const match = out.match(/web demo: (http:\/\/127\.0\.0\.1:\d+\/)/);
        if (match) resolve(match[1]);
      });
      server.on('exit', (code) => reject(new Error(`demo server exited with ${code}`)));
    });
    const sources = {
      'app.js': readdirSync(join(root, 'web-demo')).filter((f) => f.endsWith('.js')),
      'style.css': ['style.css'],
    };
    for (const [name, files] of Object.entries(sources)) {
      const served = Buffer.from(await (await fetch(new URL(name, url))).arrayBuffer());
      assert.deepEqual(served, readFileSync(join(root, 'build-web-demo', name)), `${name} is the built bundle`);
      const sourceBytes = files.reduce((sum, f) => sum + readFileSync(join(root, 'web-demo', f)).length, 0);
      assert.ok(served.length < sourceBytes * 0.8, `${name}: ${served.length} bytes served for ${sourceBytes} of source`);
    }
    // The page's other modules are inside the bundle; their sources still resolve.
    assert.equal((await fetch(new URL('simulation.js', url))).status, 200);
  } finally {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
});

// The browser build's cost: payload (gzipped, as a server would send it) and
// the time from navigation start to `await ready()` resolving in Chromium,
// against a baseline page that loads one empty module, measured in the same
// run. Cold = a fresh browser context (empty HTTP cache) per navigation;
// the static server sends no cache headers, so "reloaded" refetches too.
//
//   node bench/browser.bench.mjs [rounds]      (needs a built dist/browser)
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { launchChromium, serveStatic } from '../tests/helpers/chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rounds = Number(process.argv[2] ?? 11);
const TARGET_KB = 100;

// --- payload ------------------------------------------------------------------------
const PAYLOAD = [
  ['dist/browser/mellea_core_web.wasm', 'wasm'],
  ['dist/browser/mellea_core_web.js', 'Emscripten glue'],
  ['dist/browser/index.js', 'browser build (API)'],
  ['web-demo/app.js', 'demo page JS'],
  ['web-demo/simulation.js', 'demo page JS'],
  ['web-demo/record.js', 'demo page JS'],
  ['web-demo/try-form.js', 'demo page JS'],
  ['web-demo/server-call.js', 'demo page JS'],
  ['web-demo/index.html', 'demo page HTML'],
  ['web-demo/style.css', 'demo page CSS'],
];

const kb = (bytes) => (bytes / 1024).toFixed(1);
let rawTotal = 0;
let gzTotal = 0;
let libraryGz = 0;
console.log('payload                                   raw KB   gzip KB');
for (const [file, what] of PAYLOAD) {
  const body = readFileSync(join(root, file));
  const gz = gzipSync(body, { level: 9 }).length;
  rawTotal += body.length;
  gzTotal += gz;
  if (file.startsWith('dist/')) libraryGz += gz;
  console.log(`  ${file.padEnd(38)} ${kb(body.length).padStart(7)} ${kb(gz).padStart(9)}   ${what}`);
}
console.log(`  ${'total (library + demo page)'.padEnd(38)} ${kb(rawTotal).padStart(7)} ${kb(gzTotal).padStart(9)}`);
console.log(`  library alone (wasm + glue + API): ${kb(libraryGz)} KB gzip; target < ${TARGET_KB} KB for everything: ${gzTotal / 1024 < TARGET_KB ? 'met' : 'NOT met'}\n`);

// --- navigation to ready() ----------------------------------------------------------------
const site = mkdtempSync(join(tmpdir(), 'mellea-bench-'));
symlinkSync(join(root, 'dist', 'browser'), join(site, 'browser'));
const page = (body) => `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module">${body}</script>`;
writeFileSync(join(site, 'empty.js'), 'export const loaded = true;\n');
writeFileSync(join(site, 'baseline.html'), page("await import('/empty.js'); window.readyAt = performance.now();"));
writeFileSync(join(site, 'core.html'), page("const m = await import('/browser/index.js'); await m.ready(); window.readyAt = performance.now();"));

const server = await serveStatic(site);
const browser = await launchChromium();

async function navigate(path, context) {
  const tab = await context.newPage();
  await tab.goto(`${server.url}${path}`);
  const at = await tab.waitForFunction(() => window.readyAt, null, { timeout: 20000 });
  const value = await at.jsonValue();
  await tab.close();
  return value;
}

async function measure(path, cold) {
  const times = [];
  let shared;
  if (!cold) {
    shared = await browser.newContext();
    await navigate(path, shared); // fills the HTTP and compiled-code caches
  }
  for (let i = 0; i < rounds; i++) {
    const context = cold ? await browser.newContext() : shared;
    times.push(await navigate(path, context));
    if (cold) await context.close();
  }
  if (shared) await shared.close();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

try {
  await measure('/baseline.html', true); // warm up the browser process itself
  console.log(`navigation start -> ready, Chromium headless, median of ${rounds}`);
  for (const cold of [true, false]) {
    const baseline = await measure('/baseline.html', cold);
    const core = await measure('/core.html', cold);
    const label = cold ? 'fresh context per navigation (empty cache)' : 'one context, reloaded';
    console.log(`  ${label}: baseline (empty module) ${baseline.toFixed(1)} ms, mellea-context ready() ${core.toFixed(1)} ms` +
      `  -> +${(core - baseline).toFixed(1)} ms, ratio ${(core / baseline).toFixed(2)}x`);
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(site, { recursive: true, force: true });
}

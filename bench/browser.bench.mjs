// The browser build's cost: payload (gzipped, as a server would send it) and
// the time from navigation start to `await ready()` resolving in Chromium,
// against a baseline page that loads one empty module, measured in the same
// run. Cold = a fresh browser context (empty HTTP cache) per navigation;
// the static server sends no cache headers, so "reloaded" refetches too.
//
//   node bench/browser.bench.mjs [rounds]      (needs a built dist/browser)
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { launchChromium, serveStatic } from '../tests/helpers/chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rounds = Number(process.argv[2] ?? 11);
const TARGET_KB = 60;

// --- payload ------------------------------------------------------------------------
// What a visitor of the demo page downloads: the library (wasm + glue + API),
// the page's JS and CSS as `npm start` serves them (the bundles `npm run build`
// writes to build-web-demo/, or the sources when there are none) and its HTML.
// The target (issue 8) is on wasm + glue + the page's JS; HTML and CSS are
// listed beside it.
const built = existsSync(join(root, 'build-web-demo/app.js'));
const PAYLOAD = [
  ['dist/browser/mellea_core.wasm', 'wasm', true],
  ['dist/browser/index.js', 'browser build (API + Emscripten glue)', true],
  ...(built
    ? [['build-web-demo/app.js', 'demo page JS (bundled, minified)', true]]
    : ['app.js', 'simulation.js', 'record.js', 'try-form.js', 'server-call.js'].map((f) => [`web-demo/${f}`, 'demo page JS (not built)', true])),
  ['web-demo/index.html', 'demo page HTML', false],
  [built ? 'build-web-demo/style.css' : 'web-demo/style.css', 'demo page CSS', false],
];

const kb = (bytes) => (bytes / 1024).toFixed(1);
let rawTotal = 0;
let gzTotal = 0;
let libraryGz = 0;
let targetGz = 0;
console.log('payload                                   raw KB   gzip KB');
for (const [file, what, inTarget] of PAYLOAD) {
  const body = readFileSync(join(root, file));
  const gz = gzipSync(body, { level: 9 }).length;
  rawTotal += body.length;
  gzTotal += gz;
  if (file.startsWith('dist/')) libraryGz += gz;
  if (inTarget) targetGz += gz;
  console.log(`  ${file.padEnd(38)} ${kb(body.length).padStart(7)} ${kb(gz).padStart(9)}   ${what}`);
}
console.log(`  ${'total (library + demo page)'.padEnd(38)} ${kb(rawTotal).padStart(7)} ${kb(gzTotal).padStart(9)}`);
console.log(`  library alone (wasm + glue + API): ${kb(libraryGz)} KB gzip`);
console.log(`  wasm + glue + API + page JS: ${kb(targetGz)} KB gzip; target < ${TARGET_KB} KB: ${targetGz / 1024 < TARGET_KB ? 'met' : 'NOT met'}\n`);

// --- navigation to ready() ----------------------------------------------------------------
const site = mkdtempSync(join(tmpdir(), 'mellea-bench-'));
symlinkSync(join(root, 'dist', 'browser'), join(site, 'browser'));
const page = (body) => `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module">${body}</script>`;
writeFileSync(join(site, 'empty.js'), 'export const loaded = true;\n');
// Each page records navigation start -> done (performance.now() counts from
// navigation start) and, separately, its own import -> done time.
writeFileSync(join(site, 'baseline.html'), page("const t = performance.now(); await import('/empty.js'); window.done = [performance.now(), performance.now() - t];"));
writeFileSync(join(site, 'core.html'), page("const t = performance.now(); const m = await import('/browser/index.js'); await m.ready(); window.done = [performance.now(), performance.now() - t];"));

const server = await serveStatic(site);
const browser = await launchChromium();

async function navigate(path, context) {
  const tab = await context.newPage();
  await tab.goto(`${server.url}${path}`);
  const done = await (await tab.waitForFunction(() => window.done, null, { timeout: 20000 })).jsonValue();
  await tab.close();
  return done;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Baseline and core navigations alternate, so machine load hits both alike. */
async function measure(cold) {
  const runs = { baseline: [], core: [] };
  const shared = cold ? undefined : await browser.newContext();
  for (let i = 0; i < rounds; i++) {
    for (const [name, path] of [['baseline', '/baseline.html'], ['core', '/core.html']]) {
      const context = shared ?? (await browser.newContext());
      runs[name].push(await navigate(path, context));
      if (!shared) await context.close();
    }
  }
  await shared?.close();
  const pick = (list, i) => median(list.map((r) => r[i]));
  return {
    baseline: pick(runs.baseline, 0),
    core: pick(runs.core, 0),
    baselineImport: pick(runs.baseline, 1),
    coreImport: pick(runs.core, 1),
  };
}

try {
  await navigate('/core.html', await browser.newContext()); // warm up the browser process itself
  console.log(`Chromium headless, median of ${rounds} (baseline = a page importing one empty module)`);
  for (const cold of [true, false]) {
    const m = await measure(cold);
    console.log(`  ${cold ? 'fresh context per navigation (empty cache)' : 'one context, reloaded'}:`);
    console.log(`    navigation start -> ready(): ${m.core.toFixed(1)} ms vs baseline ${m.baseline.toFixed(1)} ms` +
      `  (+${(m.core - m.baseline).toFixed(1)} ms, ${(m.core / m.baseline).toFixed(2)}x)`);
    console.log(`    import -> ready() inside the page: ${m.coreImport.toFixed(1)} ms vs baseline ${m.baselineImport.toFixed(1)} ms` +
      `  (${(m.coreImport / Math.max(m.baselineImport, 0.1)).toFixed(1)}x)`);
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(site, { recursive: true, force: true });
}

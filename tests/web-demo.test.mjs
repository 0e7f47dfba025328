// End to end: `node web-demo/server.mjs` (what `npm start` runs) on a free
// port, the page in real Chromium, the demo run, the server round trip and
// the error form. Leaves screenshots in tests/artifacts/web-demo*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, openPage } from './helpers/chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = join(root, 'tests', 'artifacts');

let server;
let serverErr = '';
let serverOut = '';
let url;
let browser;
let page;
let problems;

/** Starts the demo server with PORT=0; resolves to the URL it prints. */
function startServer() {
  server = spawn(process.execPath, [join(root, 'web-demo', 'server.mjs')], {
    cwd: root,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stderr.setEncoding('utf8').on('data', (chunk) => (serverErr += chunk));
  return new Promise((resolve, reject) => {
    server.stdout.setEncoding('utf8').on('data', (chunk) => {
      serverOut += chunk;
      const match = serverOut.match(/web demo: (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (match) resolve(match[1]);
    });
    server.on('exit', (code) => reject(new Error(`demo server exited with ${code}: ${serverErr}`)));
  });
}

before(async () => {
  url = await startServer();
  browser = await launchChromium();
  ({ page, problems } = await openPage(browser, { viewport: { width: 1360, height: 1000 } }));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.demoState === 'ready', null, { timeout: 15000 });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
});

test('the server prints its URL and serves the page with the package loaded by name', async () => {
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const api = await page.evaluate(() => Object.keys(window.melleaContext).sort());
  for (const name of ['withContext', 'enterContext', 'getCurrentContext', 'generateRequestId', 'bind', 'ready', 'ContextFieldError']) {
    assert.ok(api.includes(name), `window.melleaContext.${name}`);
  }
});

test('running the demo: every log line carries exactly the fields it should', async () => {
  await page.click('#run-demo');
  await page.waitForFunction(() => document.body.dataset.demoState === 'done', null, { timeout: 30000 });
  const results = await page.evaluate(() => window.melleaDemo.results);
  // Six requests, each: started, 2 lines per iteration (1..4), finished.
  assert.ok(results.length >= 6 * 4, `got ${results.length} lines`);
  for (const { expected, seen } of results) assert.deepEqual(seen, expected);
  const sessions = new Set(results.map((r) => r.seen.session_id));
  assert.deepEqual([...sessions].sort(), ['alice-chat', 'bob-chat', 'carol-agent']);
  const requests = new Set(results.map((r) => r.seen.request_id));
  assert.equal(requests.size, 6);
  for (const id of requests) assert.match(id, /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
  assert.ok(results.some((r) => r.seen.sampling_iteration > 0), 'some request retried');
  // The page says so too, and every rendered line has its check mark.
  assert.match(await page.textContent('#verdict'), /all \d+ lines carried exactly/);
  assert.equal(await page.locator('#log .line.mismatch').count(), 0);
  assert.equal(await page.locator('#log .line').count(), results.length);
  // The record panel shows a line built by the core, with its fields.
  const record = JSON.parse(await page.textContent('#record-raw'));
  assert.equal(typeof record.timestamp, 'string');
  assert.ok(record.session_id && record.request_id && record.model_id);
});

test('the API round trip shows the x-request-id the server answered with, and its log lines carry it', async () => {
  const server = await page.evaluate(() => window.melleaDemo.server);
  assert.match(server.headerId, /^[0-9a-f]{32}$/);
  assert.equal(server.status, 200);
  assert.ok(server.lines.length >= 3, 'request accepted, at least one iteration, done');
  for (const line of server.lines) {
    assert.equal(line.request_id, server.headerId);
    assert.equal(line.session_id, 'alice-chat');
  }
  assert.ok(server.lines.some((line) => line.sampling_iteration === 0), 'nested sampling iterations are logged');
  assert.equal(await page.getAttribute('#server-result', 'data-request-id'), server.headerId);
  assert.equal(await page.textContent('#server-result .request-id'), server.headerId);
  assert.match(serverOut, new RegExp(`"request_id":"${server.headerId}"`), 'the server printed them too');

  // A second call gets a different id and only its own lines.
  await page.click('#call-server');
  await page.waitForFunction((first) => window.melleaDemo.server.headerId !== first, server.headerId);
  const second = await page.evaluate(() => window.melleaDemo.server);
  assert.notEqual(second.headerId, server.headerId);
  for (const line of second.lines) assert.equal(line.request_id, second.headerId);
});

test('the server refuses a bad context value from the query with the same error code', async () => {
  // From Node, not the page: Chromium reports any 4xx as a console error.
  const response = await fetch(`${url}api/generate?session=${encodeURIComponent('two\nlines')}`, { headers: { 'x-request-id': 'spoofed-id' } });
  const answer = { status: response.status, headerId: response.headers.get('x-request-id'), body: await response.json() };
  assert.equal(answer.status, 400);
  assert.equal(answer.body.error.code, 'ERR_MELLEA_INVALID_VALUE');
  assert.match(answer.headerId, /^[0-9a-f]{32}$/, 'a fresh id: inbound ids are not trusted by default');
  assert.equal(answer.body.requestId, answer.headerId);
  assert.ok(answer.body.lines.every((line) => line.request_id === answer.headerId && line.session_id === undefined));
});

test('the error form shows the exact codes', async () => {
  const expected = {
    unknown: 'ERR_MELLEA_UNKNOWN_FIELD',
    newline: 'ERR_MELLEA_INVALID_VALUE',
    long: 'ERR_MELLEA_INVALID_VALUE',
    surrogate: 'ERR_MELLEA_INVALID_VALUE',
    iteration: 'ERR_MELLEA_INVALID_VALUE',
    valid: 'OK',
  };
  const messages = {};
  for (const [preset, code] of Object.entries(expected)) {
    await page.click(`[data-preset="${preset}"]`);
    assert.equal(await page.getAttribute('#try-result', 'data-code'), code, preset);
    messages[preset] = await page.textContent('#try-result .message');
  }
  assert.match(messages.unknown, /^Unknown context fields: \['user_id'\]/);
  assert.match(messages.newline, /control character/);
  assert.match(messages.long, /at most 256 UTF-8 bytes, got 300/);
  assert.match(messages.surrogate, /lone surrogate/);
  assert.match(messages.valid, /"session_id":"café-chat-7"/);
  // Typed by hand.
  await page.fill('#try-field', 'model_id');
  await page.fill('#try-value', 'x'.repeat(257));
  await page.click('#try-submit');
  assert.equal(await page.getAttribute('#try-result', 'data-code'), 'ERR_MELLEA_INVALID_VALUE');
  await page.fill('#try-field', 'modelId');
  await page.fill('#try-value', 'granite');
  await page.click('#try-submit');
  assert.equal(await page.getAttribute('#try-result', 'data-code'), 'OK');
});

test('no console errors, page errors or failed requests; nothing on the server\'s stderr', async () => {
  mkdirSync(artifacts, { recursive: true });
  await page.click('[data-preset="newline"]');
  await page.click('#log .line >> nth=5');
  await page.screenshot({ path: join(artifacts, 'web-demo.png'), fullPage: true });
  // On a phone-sized screen nothing sticks out sideways.
  await page.setViewportSize({ width: 420, height: 900 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 420), 'no horizontal overflow at 420 px');
  await page.screenshot({ path: join(artifacts, 'web-demo-narrow.png') });
  assert.deepEqual(problems, []);
  assert.equal(serverErr, '');
});

// `npm start`: one Node process serving the web demo (web-demo/), the
// browser build (dist/browser/) and a demo endpoint, /api/generate, that
// simulates a model call with nested sampling iterations. Every log line goes
// through pino with the context fields, is printed, and is kept in memory by
// request id (bounded) so the page can show "the server's lines for my call".
//
//   PORT=8080 node web-demo/server.mjs     (PORT=0 picks a free port)
import { createServer } from 'node:http';
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { ContextFieldError, getRequestId, withContext } from 'mellea-context';
import { withRequestContext } from 'mellea-context/http';
import { pinoOptions } from 'mellea-context/pino';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const QUIET = process.env.MELLEA_DEMO_QUIET === '1';

// --- log lines, kept per request id ------------------------------------------
const MAX_REQUESTS = 200;
const MAX_LINES_PER_REQUEST = 100;
const linesByRequest = new Map();

function keep(line) {
  let record;
  try {
    record = JSON.parse(line);
  } catch {
    return;
  }
  const id = record.request_id;
  if (typeof id !== 'string') return;
  let lines = linesByRequest.get(id);
  if (lines === undefined) {
    // Map iteration order is insertion order: the first key is the oldest.
    if (linesByRequest.size >= MAX_REQUESTS) linesByRequest.delete(linesByRequest.keys().next().value);
    linesByRequest.set(id, (lines = []));
  }
  if (lines.length < MAX_LINES_PER_REQUEST) lines.push(record);
}

const destination = {
  write(line) {
    keep(line);
    if (!QUIET) process.stdout.write(line);
  },
};

// pinoOptions(): every line carries the current scope's fields.
const logger = pino({ ...pinoOptions(), base: { service: 'web-demo' }, level: 'debug' }, destination);

// --- the simulated model call ------------------------------------------------
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const MODELS = ['granite-3.3-8b', 'llama-3.1-8b', 'mistral-7b'];

/** A model call with up to three sampling iterations; some fail validation. */
async function generate(prompt) {
  logger.info({ prompt_chars: prompt.length }, 'generate: request accepted');
  for (let iteration = 0; iteration < 3; iteration++) {
    const accepted = await withContext({ samplingIteration: iteration }, async () => {
      logger.debug('sampling: calling the model');
      await sleep(5 + Math.random() * 25);
      const ok = iteration === 2 || Math.random() < 0.5;
      if (ok) logger.info('sampling: output passed validation');
      else logger.warn('sampling: output failed validation, retrying');
      return ok;
    });
    if (accepted) {
      logger.info({ iterations: iteration + 1 }, 'generate: done');
      return iteration + 1;
    }
  }
  return 3;
}

async function handleGenerate(req, res, url) {
  const session = url.searchParams.get('session') ?? 'web-demo-session';
  const model = url.searchParams.get('model') ?? MODELS[Math.floor(Math.random() * MODELS.length)];
  const prompt = url.searchParams.get('prompt') ?? 'Say hello';
  let iterations;
  try {
    // Values from the query string pass the same checks as any other input.
    iterations = await withContext({ sessionId: session, modelId: model }, () => generate(prompt));
  } catch (error) {
    if (!(error instanceof ContextFieldError)) throw error;
    logger.warn({ error_code: error.code }, 'generate: refused a bad context value');
    sendJson(res, 400, { error: { code: error.code, message: error.message }, requestId: getRequestId(), lines: linesByRequest.get(getRequestId()) ?? [] });
    return;
  }
  const requestId = getRequestId();
  sendJson(res, 200, { requestId, session, model, iterations, lines: linesByRequest.get(requestId) ?? [] });
}

function sendJson(res, status, body) {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(body));
}

// Each API request runs in its own scope with a fresh request_id, echoed in
// the x-request-id response header.
const apiHandler = withRequestContext((req, res) => routeApi(req, res));

function routeApi(req, res) {
  const url = new URL(req.url, `http://${HOST}`);
  if (url.pathname === '/api/generate' && (req.method === 'GET' || req.method === 'POST')) {
    return handleGenerate(req, res, url).catch((error) => {
      logger.error({ err: error }, 'generate: failed');
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'ERR_DEMO', message: 'internal error' } });
    });
  }
  sendJson(res, 404, { error: { code: 'ERR_NOT_FOUND', message: `no API route ${url.pathname}` } });
  return undefined;
}

// --- static files --------------------------------------------------------------
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
const STATIC = [
  { prefix: '/dist/browser/', dir: join(root, 'dist', 'browser') },
  ...(builtDemoIsFresh() ? [{ prefix: '/', dir: join(root, 'build-web-demo') }] : []),
  { prefix: '/', dir: join(root, 'web-demo') },
];

/**
 * `npm run build` bundles and minifies the page's JS and CSS into
 * build-web-demo/ (about half the bytes gzipped); they are served while they
 * are newer than every source here, otherwise the sources themselves are.
 */
function builtDemoIsFresh() {
  const mtime = (file) => {
    try {
      return statSync(file).mtimeMs;
    } catch {
      return -1;
    }
  };
  const demo = join(root, 'web-demo');
  const newestSource = Math.max(
    ...readdirSync(demo).filter((name) => /\.(js|css)$/.test(name)).map((name) => mtime(join(demo, name))),
  );
  const built = ['app.js', 'style.css'].map((name) => mtime(join(root, 'build-web-demo', name)));
  return built.every((t) => t >= newestSource);
}

async function serveStatic(req, res, pathname) {
  for (const { prefix, dir } of STATIC) {
    if (!pathname.startsWith(prefix)) continue;
    let relative = pathname.slice(prefix.length);
    if (relative === '') relative = 'index.html';
    const file = normalize(join(dir, relative));
    if (!file.startsWith(dir + sep) || file.endsWith('.mjs')) break; // no escaping the folder, no server source
    let body;
    try {
      body = await readFile(file);
    } catch {
      continue; // not built there: the next folder may have it
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('not found\n');
}

const server = createServer((req, res) => {
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url, `http://${HOST}`).pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  if (pathname.startsWith('/api/')) {
    apiHandler(req, res);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405).end();
    return;
  }
  serveStatic(req, res, pathname);
});

const port = process.env.PORT === undefined || process.env.PORT === '' ? 8080 : Number(process.env.PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`web-demo: PORT must be an integer from 0 to 65535, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(1);
}
server.listen(port, HOST, () => {
  const actual = server.address().port;
  console.log(`mellea-context web demo: http://${HOST}:${actual}/`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}

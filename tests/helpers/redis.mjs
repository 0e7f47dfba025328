// A real Redis for the job-queue tests: Debian's redis-server on 127.0.0.1
// and a free port, nothing saved to disk, stopped with `shutdown nosave`.
// Without redis-server on PATH the tests skip with that reason, except in CI
// (.ci/run sets MELLEA_REQUIRE_REDIS=1 after installing it), where they fail.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function onPath(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** undefined when Redis can run here, else the reason a test should skip. */
export function redisSkipReason() {
  if (onPath('redis-server') && onPath('redis-cli')) return undefined;
  if (process.env.MELLEA_REQUIRE_REDIS === '1') return undefined; // fail loudly in startRedis
  return 'redis-server is not on PATH (apt-get install -y redis-server, as scripts/setup.sh does)';
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('error', () => resolve(false));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(String(data).startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

/**
 * Starts a private redis-server; resolves { port, url, connection, stop }.
 * `connection()` makes what one BullMQ Queue or Worker takes.
 */
export async function startRedis() {
  if (!onPath('redis-server')) throw new Error('redis-server is not on PATH; install it (scripts/setup.sh does)');
  const dir = mkdtempSync(join(tmpdir(), 'mellea-redis-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    let exited = false;
    child.once('exit', () => (exited = true));
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline && !(await ping(port))) await new Promise((r) => setTimeout(r, 50));
    if (!exited && (await ping(port))) {
      const stop = async () => {
        if (!exited) {
          try {
            execFileSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave'], { stdio: 'ignore', timeout: 5000 });
          } catch {
            // shutdown closes the connection before replying; a dead server is fine too.
          }
          const gone = new Promise((r) => child.once('exit', r));
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          if (!exited) await gone;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      };
      return { port, url: `redis://127.0.0.1:${port}`, connection: () => redisConnection(port), stop };
    }
    child.kill('SIGKILL');
    // The port was taken between our probe and redis' bind: try another one.
    if (attempt >= 3) throw new Error(`redis-server did not start:\n${output}`);
  }
}

/**
 * The `connection` option for one BullMQ Queue/Worker on 127.0.0.1:port:
 * BullMQ 6 drives Redis through ioredis (an optional peer of bullmq, a dev
 * dependency here), as an application does.
 */
export function redisConnection(port) {
  return { host: '127.0.0.1', port, maxRetriesPerRequest: null };
}

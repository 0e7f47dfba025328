// A real Redis for the job-queue tests: Debian's redis-server on 127.0.0.1
// and a free port, nothing saved to disk, stopped with `shutdown nosave`.
// Without redis-server on PATH the tests skip with that reason, except in CI
// (.ci/run sets MELLEA_REQUIRE_REDIS=1 after installing it), where they fail.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
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
        // BullMQ never closes a client instance it was given (the caller owns
        // it, as with ioredis), so the helper closes the ones it made.
        for (const client of clients) if (client.port === port) client.close();
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

const require = createRequire(import.meta.url);
function hasIORedis() {
  try {
    require.resolve('ioredis');
    return true;
  } catch {
    return false;
  }
}

/**
 * The `connection` option for one BullMQ Queue/Worker on 127.0.0.1:port.
 * BullMQ 6 drives Redis through an optional client package; with ioredis
 * installed (what an application uses) that is plain { host, port }. Without
 * it, a minimal RESP2 client shaped like Bun's RedisClient (send/connected),
 * which BullMQ 6 adapts structurally (classes/bun-redis-client.js).
 */
export function redisConnection(port) {
  if (hasIORedis()) return { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  return new RespClient(port);
}

/** RESP2 encoding of one command; Buffers (BullMQ's msgpack args) as bytes. */
function encodeCommand(name, args) {
  const parts = [name, ...args].map((a) => (Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'utf8')));
  const chunks = [Buffer.from(`*${parts.length}\r\n`)];
  for (const part of parts) chunks.push(Buffer.from(`$${part.length}\r\n`), part, Buffer.from('\r\n'));
  return Buffer.concat(chunks);
}

/** Parses one RESP2 reply from buf at offset; returns [value, next] or undefined if incomplete. */
function parseReply(buf, at) {
  const end = buf.indexOf('\r\n', at);
  if (end < 0) return undefined;
  const type = String.fromCharCode(buf[at]);
  const line = buf.toString('utf8', at + 1, end);
  const next = end + 2;
  if (type === '+') return [line, next];
  if (type === '-') return [new RedisReplyError(line), next];
  if (type === ':') return [Number(line), next];
  if (type === '$') {
    const length = Number(line);
    if (length < 0) return [null, next];
    if (buf.length < next + length + 2) return undefined;
    return [buf.toString('utf8', next, next + length), next + length + 2];
  }
  if (type === '*') {
    const count = Number(line);
    if (count < 0) return [null, next];
    const items = [];
    let pos = next;
    for (let i = 0; i < count; i++) {
      const parsed = parseReply(buf, pos);
      if (parsed === undefined) return undefined;
      items.push(parsed[0]);
      pos = parsed[1];
    }
    return [items, pos];
  }
  throw new Error(`RESP: unexpected reply type ${JSON.stringify(type)}`);
}

class RedisReplyError extends Error {}
const clients = new Set();

/** Test-only Redis client: one socket, replies in order, as Bun's RedisClient. */
class RespClient {
  constructor(port) {
    this.port = port;
    this.connected = false;
    this.onconnect = undefined;
    this.onclose = undefined;
    this.onerror = undefined;
    this.pending = [];
    this.buffer = Buffer.alloc(0);
    this.socket = undefined;
    this.closed = false;
    clients.add(this);
  }

  connect() {
    if (this.closed) return Promise.reject(new Error('Connection is closed.'));
    if (this.socket !== undefined) return this.ready;
    this.ready = new Promise((resolve, reject) => {
      const socket = net.connect(this.port, '127.0.0.1');
      this.socket = socket;
      socket.setNoDelay(true);
      socket.once('connect', () => {
        this.connected = true;
        this.onconnect?.();
        resolve();
      });
      socket.on('data', (chunk) => this.receive(chunk));
      socket.on('error', (error) => {
        if (!this.connected) reject(error);
        this.onerror?.(error);
      });
      socket.on('close', () => {
        const wasConnected = this.connected;
        this.connected = false;
        for (const { reject: fail } of this.pending.splice(0)) fail(new Error('Connection closed'));
        if (wasConnected) this.onclose?.();
      });
    });
    return this.ready;
  }

  receive(chunk) {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let at = 0;
    for (;;) {
      const parsed = at < this.buffer.length ? parseReply(this.buffer, at) : undefined;
      if (parsed === undefined) break;
      at = parsed[1];
      const waiter = this.pending.shift();
      if (waiter === undefined) continue;
      if (parsed[0] instanceof RedisReplyError) waiter.reject(parsed[0]);
      else waiter.resolve(parsed[0]);
    }
    this.buffer = at === 0 ? this.buffer : this.buffer.subarray(at);
  }

  async send(name, args = []) {
    // As Bun's client: commands on a closed client fail, they never reopen it.
    if (this.closed) throw new Error('Connection is closed.');
    if (!this.connected) await this.connect();
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(encodeCommand(name, args));
    });
  }

  close() {
    clients.delete(this);
    this.closed = true;
    // Closed by its owner: nothing should try to reconnect it.
    this.onclose = undefined;
    this.socket?.destroy();
  }

  disconnect() {
    this.close();
  }

  duplicate() {
    return new RespClient(this.port);
  }
}

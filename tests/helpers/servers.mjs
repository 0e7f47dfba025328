// Real servers on 127.0.0.1 (port 0) and a small HTTP client for the tests.
import http from 'node:http';
import net from 'node:net';

/** Listens on an ephemeral loopback port; returns { url, close }. */
export function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

/**
 * One request with node:http (so that raw, even malformed, header values and
 * agents can be used). Resolves { status, headers, body }.
 */
export function request(url, { method = 'GET', headers = {}, body, agent, chunks } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    if (chunks) {
      // Body in several writes spread over timers, so 'data' fires more than once.
      let i = 0;
      const next = () => (i < chunks.length ? (req.write(chunks[i++]), setTimeout(next, 2)) : req.end());
      next();
    } else {
      req.end(body);
    }
  });
}

/**
 * A GET written byte for byte on a socket, for header values node's client
 * refuses to send (control characters). Resolves { status, headers, body }.
 */
export function rawRequest(port, headerLines) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = {};
      for (const line of lines) {
        const at = line.indexOf(':');
        headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    // write, not end: a half-closed socket may be dropped before an async handler answers.
    socket.write(Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headerLines.map((l) => `${l}\r\n`).join('')}\r\n`, 'latin1'));
  });
}

/** Starts a Fastify app on an ephemeral loopback port; returns { url, port, close }. */
export async function listenFastify(app) {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address();
  return { url: `http://127.0.0.1:${port}`, port, close: () => app.close() };
}

/**
 * Opens a streaming (SSE) response, reads until the first chunk arrives, then
 * hangs up as a browser tab closing would. Resolves { status, headers, first }.
 */
export function openAndAbort(url, { headers = {}, agent } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers: { accept: 'text/event-stream', ...headers }, agent }, (res) => {
      res.setEncoding('utf8');
      res.once('data', (first) => {
        req.destroy();
        resolve({ status: res.statusCode, headers: res.headers, first });
      });
    });
    req.on('error', (error) => {
      if (error.code !== 'ECONNRESET') reject(error);
    });
    req.end();
  });
}

/** Waits until `check()` is true (polling every few ms), failing after `ms`. */
export async function until(check, ms = 5000, what = 'condition') {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// Real servers on 127.0.0.1 (port 0) and a small HTTP client for the tests.
import http from 'node:http';

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

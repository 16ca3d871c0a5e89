// Shared helpers for the example shop services: tiny JSON-over-HTTP servers and clients, no dependencies.
import http from 'node:http';

/** Reads a request body as JSON (empty body → null). */
export function readJson(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      try {
        resolve(body ? JSON.parse(body) : null);
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

/** Sends a JSON response. */
export function send(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Calls another service: `call('GET', 'http://db:5432/kv/x')`; resolves to {status, body}. */
export function call(method, url, value, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const payload = value === undefined ? undefined : JSON.stringify(value);
    const req = http.request(url, { method, timeout: timeoutMs, headers: payload ? { 'content-type': 'application/json' } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        let parsed = body;
        try {
          parsed = body ? JSON.parse(body) : null;
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout calling ${url}`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Starts a server and stops it gracefully on SIGTERM/SIGINT, so `stack down` takes milliseconds. */
export function serve(name, port, handler) {
  const server = http.createServer(async (req, res) => {
    try {
      await handler(req, res);
    } catch (err) {
      console.error(`${name}: ${req.method} ${req.url}: ${err.message}`);
      send(res, 500, { error: err.message });
    }
  });
  server.listen(port, '0.0.0.0', () => console.log(`${name} listening on :${port}`));
  const stop = (signal) => {
    console.log(`${name} got ${signal}, stopping`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return server;
}

/** Retries `fn` until it resolves or `attempts` run out. */
export async function retry(fn, attempts = 50, delayMs = 100) {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

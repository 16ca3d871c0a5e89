// A cache: an in-memory key-value store with TTLs over HTTP.
import { readJson, send, serve } from './lib.js';

const port = Number(process.env.PORT ?? 6379);
const entries = new Map();

serve('cache', port, async (req, res) => {
  const url = new URL(req.url, 'http://cache');
  if (url.pathname === '/health') return send(res, 200, { ok: true, size: entries.size });
  const m = url.pathname.match(/^\/c\/([\w.:-]+)$/);
  if (!m) return send(res, 404, { error: 'not found' });
  const key = m[1];
  if (req.method === 'GET') {
    const e = entries.get(key);
    if (!e || e.expires < Date.now()) return send(res, 404, { error: 'miss' });
    return send(res, 200, e.value);
  }
  if (req.method === 'PUT') {
    const ttl = Number(url.searchParams.get('ttl') ?? 60);
    entries.set(key, { value: await readJson(req), expires: Date.now() + ttl * 1000 });
    return send(res, 200, { ok: true });
  }
  send(res, 405, { error: 'method not allowed' });
});

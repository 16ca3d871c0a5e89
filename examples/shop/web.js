// The web front: serves a page and forwards /api/* to the api service (round-robin over its instances by name).
import { call, readJson, send, serve } from './lib.js';

const port = Number(process.env.PORT ?? 80);
const api = process.env.API_URL ?? 'http://api:8080';

serve('web', port, async (req, res) => {
  const url = new URL(req.url, 'http://web');
  if (url.pathname === '/health') return send(res, 200, { ok: true });
  if (url.pathname.startsWith('/api/')) {
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    const r = await call(req.method, `${api}${url.pathname.slice(4)}`, body ?? undefined);
    return send(res, r.status, r.body);
  }
  if (url.pathname === '/') {
    const page = '<!doctype html><title>hafen shop</title><h1>hafen shop</h1><p>See <a href="/api/products">products</a>.</p>';
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end(page);
  }
  send(res, 404, { error: 'not found' });
});

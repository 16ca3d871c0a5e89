// The API: products from db (through the cache), orders queued in db for the worker.
import os from 'node:os';
import { call, readJson, send, serve } from './lib.js';

const port = Number(process.env.PORT ?? 8080);
const db = process.env.DB_URL ?? 'http://db:5432';
const cache = process.env.CACHE_URL ?? 'http://cache:6379';
const instance = os.hostname();

async function product(id) {
  const hit = await call('GET', `${cache}/c/product:${id}`);
  if (hit.status === 200) return hit.body;
  const r = await call('GET', `${db}/kv/product:${id}`);
  if (r.status !== 200) return null;
  await call('PUT', `${cache}/c/product:${id}?ttl=30`, r.body);
  return r.body;
}

serve('api', port, async (req, res) => {
  const url = new URL(req.url, 'http://api');
  if (url.pathname === '/health') {
    const schema = await call('GET', `${db}/kv/schema_version`);
    return schema.status === 200 ? send(res, 200, { ok: true, instance }) : send(res, 503, { error: 'no schema' });
  }
  if (url.pathname === '/products' && req.method === 'GET') {
    const ids = (await call('GET', `${db}/kv/products`)).body ?? [];
    return send(res, 200, { instance, products: await Promise.all(ids.map(product)) });
  }
  if (url.pathname === '/orders' && req.method === 'POST') {
    const order = await readJson(req);
    if (!(await product(order?.product))) return send(res, 400, { error: 'unknown product' });
    const id = `o${Date.now()}${Math.floor(Math.random() * 1000)}`;
    await call('PUT', `${db}/kv/order:${id}`, { id, ...order, status: 'queued' });
    await call('POST', `${db}/queue/orders`, id);
    return send(res, 201, { id, status: 'queued' });
  }
  const m = url.pathname.match(/^\/orders\/(\w+)$/);
  if (m && req.method === 'GET') {
    const r = await call('GET', `${db}/kv/order:${m[1]}`);
    return send(res, r.status, r.body);
  }
  send(res, 404, { error: 'not found' });
});

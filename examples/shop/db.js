// A database-like service: a key-value store over HTTP that persists to $DATA_DIR (a named volume).
import fs from 'node:fs';
import path from 'node:path';
import { readJson, send, serve } from './lib.js';

const port = Number(process.env.PORT ?? 5432);
const dataDir = process.env.DATA_DIR ?? '/data';
const file = path.join(dataDir, 'db.json');
fs.mkdirSync(dataDir, { recursive: true });
const data = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};

function persist() {
  // Atomic: a crash never leaves half a file.
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(data));
  fs.renameSync(`${file}.tmp`, file);
}

serve('db', port, async (req, res) => {
  const url = new URL(req.url, 'http://db');
  if (url.pathname === '/health') return send(res, 200, { ok: true, keys: Object.keys(data).length });
  const q = url.pathname.match(/^\/queue\/([\w.:-]+)$/);
  if (q) {
    // A FIFO queue: POST pushes the body, DELETE pops the oldest (204 when empty).
    const list = (data[`queue:${q[1]}`] ??= []);
    if (req.method === 'POST') {
      list.push(await readJson(req));
      persist();
      return send(res, 200, { ok: true, length: list.length });
    }
    if (req.method === 'DELETE') {
      if (list.length === 0) return send(res, 204, null);
      const item = list.shift();
      persist();
      return send(res, 200, item);
    }
    return send(res, 405, { error: 'method not allowed' });
  }
  const m = url.pathname.match(/^\/kv\/([\w.:-]+)$/);
  if (!m) return send(res, 404, { error: 'not found' });
  const key = m[1];
  if (req.method === 'GET') return key in data ? send(res, 200, data[key]) : send(res, 404, { error: `no key ${key}` });
  if (req.method === 'PUT') {
    data[key] = await readJson(req);
    persist();
    return send(res, 200, { ok: true });
  }
  send(res, 405, { error: 'method not allowed' });
});

// A one-shot migration: writes the schema version and seed products into db, then exits 0.
import { call, retry } from './lib.js';

const db = process.env.DB_URL ?? 'http://db:5432';
const products = [
  { id: 'p1', name: 'Anchor', price: 1200 },
  { id: 'p2', name: 'Rope', price: 300 },
  { id: 'p3', name: 'Lantern', price: 2500 },
];

await retry(() => call('GET', `${db}/health`));
for (const p of products) {
  const r = await call('PUT', `${db}/kv/product:${p.id}`, p);
  if (r.status !== 200) throw new Error(`seeding ${p.id}: HTTP ${r.status}`);
}
await call('PUT', `${db}/kv/products`, products.map((p) => p.id));
await call('PUT', `${db}/kv/schema_version`, 1);
console.log(`migrate: schema 1, ${products.length} products`);

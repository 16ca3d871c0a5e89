// A worker: takes orders off the db's queue and marks them processed.
import { call } from './lib.js';

const db = process.env.DB_URL ?? 'http://db:5432';
const pollMs = Number(process.env.POLL_MS ?? 100);
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
process.on('SIGINT', () => (stopping = true));

console.log('worker: waiting for orders');
while (!stopping) {
  try {
    const next = await call('DELETE', `${db}/queue/orders`);
    if (next.status === 200) {
      const id = next.body;
      const order = await call('GET', `${db}/kv/order:${id}`);
      await call('PUT', `${db}/kv/order:${id}`, { ...order.body, status: 'processed' });
      console.log(`worker: processed ${id}`);
      continue;
    }
  } catch (err) {
    console.error(`worker: ${err.message}`);
  }
  await new Promise((r) => setTimeout(r, pollMs));
}
console.log('worker: stopped');

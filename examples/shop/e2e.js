// The end-to-end test runner: checks the shop through the web front and exits 0 when all pass.
import { call, retry } from './lib.js';

const web = process.env.WEB_URL ?? 'http://web:80';
let failed = 0;

async function check(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${err.message}`);
  }
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

await check('front page is served', async () => {
  const r = await call('GET', `${web}/`);
  expect(r.status === 200 && String(r.body).includes('hafen shop'), `got HTTP ${r.status}`);
});
await check('products come from db through the api', async () => {
  const r = await call('GET', `${web}/api/products`);
  expect(r.status === 200, `got HTTP ${r.status}`);
  expect(r.body.products.length === 3, `expected 3 products, got ${r.body.products.length}`);
});
await check('an order is taken and processed by the worker', async () => {
  const r = await call('POST', `${web}/api/orders`, { product: 'p2', qty: 2 });
  expect(r.status === 201, `got HTTP ${r.status}: ${JSON.stringify(r.body)}`);
  await retry(async () => {
    const o = await call('GET', `${web}/api/orders/${r.body.id}`);
    expect(o.body?.status === 'processed', `order ${r.body.id} is ${o.body?.status}`);
  }, 50, 100);
});
await check('an unknown product is refused', async () => {
  const r = await call('POST', `${web}/api/orders`, { product: 'nope' });
  expect(r.status === 400, `got HTTP ${r.status}`);
});

console.log(failed === 0 ? 'e2e: all checks passed' : `e2e: ${failed} check(s) failed`);
process.exit(failed === 0 ? 0 : 1);

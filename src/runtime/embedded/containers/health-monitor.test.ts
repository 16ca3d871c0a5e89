import { describe, expect, it } from 'vitest';
import type { Health } from '../../runtime.js';
import { HealthMonitor } from './health-monitor.js';

const check = { test: ['CMD', 'probe'], interval: 5, timeout: 100, retries: 2, start_period: 0, start_interval: 5 };

async function run(codes: number[], startPeriod = 0): Promise<{ changes: Health[]; argv: string[][] }> {
  const changes: Health[] = [];
  const argv: string[][] = [];
  let i = 0;
  const monitor = new HealthMonitor(
    { ...check, start_period: startPeriod },
    async (a) => {
      argv.push(a);
      return codes[Math.min(i++, codes.length - 1)]!;
    },
    (h) => changes.push(h),
  );
  monitor.start();
  while (i < codes.length) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 10));
  monitor.stop();
  return { changes, argv };
}

describe('HealthMonitor', () => {
  it('turns healthy on the first success, unhealthy after `retries` failures in a row', async () => {
    const { changes, argv } = await run([1, 0, 1, 1]);
    expect(changes.slice(0, 2)).toEqual(['healthy', 'unhealthy']);
    expect(argv[0]).toEqual(['probe']);
  });

  it('does not count failures during the start period', async () => {
    const { changes } = await run([1, 1, 1, 0], 10_000);
    expect(changes).toEqual(['healthy']);
  });

  it('probes every start_interval, backing off, until the first success, even with no start period', async () => {
    let calls = 0;
    const changes: Health[] = [];
    const monitor = new HealthMonitor(
      { ...check, interval: 60_000, start_interval: 5 },
      async () => (++calls < 4 ? 1 : 0),
      (h) => changes.push(h),
    );
    monitor.start();
    const deadline = Date.now() + 2000;
    while (changes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    monitor.stop();
    expect(changes).toEqual(['healthy']);
    expect(calls).toBe(4);
  });

  it('runs the first check the moment it starts, not after start_interval (a minute here)', async () => {
    let calls = 0;
    const changes: Health[] = [];
    const monitor = new HealthMonitor({ ...check, interval: 60_000, start_interval: 60_000 }, async () => (++calls, 0), (h) => changes.push(h));
    monitor.start();
    const deadline = Date.now() + 5000;
    while (changes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    monitor.stop();
    expect(calls).toBe(1);
    expect(changes).toEqual(['healthy']);
  });
});

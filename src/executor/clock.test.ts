import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from './clock.js';

describe('ManualClock', () => {
  it('wakes sleepers in the order they are due, at their due time', async () => {
    const clock = new ManualClock(1000);
    const woke: string[] = [];
    const nap = (name: string, ms: number) => clock.sleep(ms).then(() => woke.push(`${name}@${clock.now()}`));
    void nap('late', 300);
    void nap('early', 100);
    void nap('same-as-early', 100);
    await clock.advance(200);
    expect(woke).toEqual(['early@1100', 'same-as-early@1100']);
    expect(clock.now()).toBe(1200);
    await clock.advance(100);
    expect(woke.at(-1)).toBe('late@1300');
  });

  it('wakes sleeps started by woken code within the same advance', async () => {
    const clock = new ManualClock();
    const times: number[] = [];
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(40);
        times.push(clock.now());
      }
    })();
    await clock.advance(100);
    expect(times).toEqual([40, 80]);
  });

  it('rejects a sleep with the abort reason and forgets it', async () => {
    const clock = new ManualClock();
    const abort = new AbortController();
    const nap = clock.sleep(100, abort.signal);
    abort.abort(new Error('stop'));
    await expect(nap).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
  });

  it('runs a promise to its end, and says when nothing is left to wake', async () => {
    const clock = new ManualClock();
    await expect(clock.run(clock.sleep(5000).then(() => clock.now()))).resolves.toBe(5000);
    await expect(clock.run(new Promise(() => undefined))).rejects.toThrow(/no sleeper left/);
  });
});

describe('systemClock', () => {
  it('sleeps and can be aborted', async () => {
    const before = systemClock.now();
    await systemClock.sleep(5);
    expect(systemClock.now() - before).toBeGreaterThanOrEqual(4);
    const abort = new AbortController();
    const nap = systemClock.sleep(10_000, abort.signal);
    abort.abort(new Error('enough'));
    await expect(nap).rejects.toThrow('enough');
  });
});

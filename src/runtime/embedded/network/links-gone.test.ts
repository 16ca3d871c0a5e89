import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { requireCommand, requireRoot, unmet } from '../../../testing/requirements.js';
import { linkExists } from './bridge.js';
import { linksLeftAfter } from './links-gone.js';

describe('linksLeftAfter', () => {
  it('resolves at once with nothing left when no name exists', async () => {
    // Raced against a wait that can only end by its 50 ms timeout (`lo` never goes away).
    const none = linksLeftAfter(['hfnolink0', 'hfnolink1'], 60_000);
    const timedOut = linksLeftAfter(['lo'], 50);
    expect(await Promise.race([none.then(() => 'none'), timedOut.then(() => 'timeout')])).toBe('none');
    expect(await none).toEqual([]);
    await timedOut;
  });

  it('gives up after the timeout with the names still there, each wait on its own deadline', async () => {
    const short = linksLeftAfter(['lo', 'hfnolink2'], 20);
    const long = linksLeftAfter(['lo'], 200);
    expect(await Promise.race([short.then(() => 'short'), long.then(() => 'long')])).toBe('short');
    expect(await short).toEqual(['lo']);
    expect(await long).toEqual(['lo']);
  });

  it('looks the same when it lists the links instead (many names waited for at once)', async () => {
    const many = Array.from({ length: 12 }, (_, i) => `hfnolink${i}`);
    expect(await linksLeftAfter(['lo', ...many], 20)).toEqual(['lo']);
  });

  describe.skipIf(unmet(requireRoot(), requireCommand('ip')))('with a real link (root)', () => {
    it('sees a link go while it waits, long before its timeout', async () => {
      const name = `hfgone${process.pid % 100_000}`;
      execFileSync('ip', ['link', 'add', name, 'type', 'bridge']); // any link: no dummy module on every kernel
      try {
        const gone = linksLeftAfter([name], 60_000);
        // Beside it, a wait with more names than are looked up one by one: the links are listed.
        const goneToo = linksLeftAfter([name, ...Array.from({ length: 12 }, (_, i) => `hfnolink${i}`)], 60_000);
        const stillThere = linksLeftAfter(['lo'], 30);
        expect(await stillThere).toEqual(['lo']); // 30 ms on, the link is still waited for
        execFileSync('ip', ['link', 'del', name]);
        expect(await gone).toEqual([]); // not 60 s: the test's own timeout is 5 s
        expect(await goneToo).toEqual([]);
      } finally {
        if (linkExists(name)) execFileSync('ip', ['link', 'del', name]);
      }
    });
  });
});

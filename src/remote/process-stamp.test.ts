import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ALIVE_ONLY, processStamp, sameProcess, type StampSources } from './process-stamp.js';

const children: ChildProcess[] = [];
const started = (): number => {
  const c = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(c);
  return c.pid!;
};
const ended = async (pid: number): Promise<void> => {
  const c = children.find((x) => x.pid === pid)!;
  const gone = new Promise((resolve) => c.once('exit', resolve));
  c.kill('SIGKILL');
  await gone;
};
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

// The ways a stamp is read, each as the system that has it: Linux (/proc), macOS (no /proc: ps), Windows (neither).
const noProc = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-no-proc-'));
afterAll(() => fs.rmSync(noProc, { recursive: true, force: true }));
const ways: [string, StampSources, RegExp][] = [
  ['/proc', {}, /^proc:\d+$/],
  ['ps, without /proc', { procRoot: noProc }, /^ps:\w{3} \w{3} +\d+ [\d:]+ \d{4}$/],
  ['liveness only, without /proc or ps', { procRoot: noProc, ps: null }, new RegExp(`^${ALIVE_ONLY}$`)],
];

describe.each(ways)('a process stamp read from %s', (_, sources, shape) => {
  it('names a live process, the same each time, and none once it is gone', async () => {
    const pid = started();
    const stamp = processStamp(pid, sources)!;
    expect(stamp).toMatch(shape);
    expect(processStamp(pid, sources)).toBe(stamp);
    expect(sameProcess(pid, stamp, sources)).toBe(true);
    await ended(pid);
    expect(processStamp(pid, sources)).toBeUndefined();
    expect(sameProcess(pid, stamp, sources)).toBe(false);
  });

  it('does not take another process for the recorded one (a reused pid), where a start time is known', () => {
    const pid = started();
    const stamp = processStamp(pid, sources)!;
    const other = sources.ps === null ? ALIVE_ONLY : stamp.replace(/\d(?=\D*$)/, (d) => String((Number(d) + 1) % 10));
    expect(sameProcess(pid, other, sources)).toBe(sources.ps === null);
    expect(sameProcess(pid, '', sources)).toBe(false);
  });
});

describe('a recorded stamp read another way', () => {
  it('counts as the process while its pid lives (a record written before /proc went away)', () => {
    const pid = started();
    const fromProc = processStamp(pid)!;
    expect(sameProcess(pid, fromProc, { procRoot: noProc })).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { cpuColumn, startColumn, topOfCgroup, ttyColumn } from './container-top.js';

describe('top columns as ps -ef prints them', () => {
  it('formats CPU time, start time and terminal', () => {
    expect(cpuColumn(0)).toBe('00:00:00');
    expect(cpuColumn(3723)).toBe('01:02:03');
    expect(cpuColumn(90061)).toBe('1-01:01:01');
    const now = new Date(2026, 11, 5, 23, 30);
    expect(startColumn(new Date(2026, 11, 5, 9, 5), now)).toBe('09:05');
    expect(startColumn(new Date(2026, 10, 28, 9, 5), now)).toBe('Nov28');
    expect(ttyColumn(0)).toBe('?');
    expect(ttyColumn((136 << 8) | 3)).toBe('pts/3');
  });

  it('gives no rows for a cgroup folder that is gone', () => {
    expect(topOfCgroup('/sys/fs/cgroup/pids/hafen/no-such-project/no-such-container').processes).toEqual([]);
  });
});

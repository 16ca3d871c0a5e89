import { describe, expect, it } from 'vitest';
import { binarySize, statsJson, statsRow, statsTable } from './stats-rows.js';

describe('stats rows', () => {
  it('gives CPU % from two samples (one core busy for half the time: 50%) and memory against the limit', () => {
    const row = statsRow('shop-web-1', 'abc', { cpuNanos: 1.5e9, memoryBytes: 64 << 20, memoryLimit: 256 << 20, pids: 3 }, { cpuNanos: 1e9, memoryBytes: 0, pids: 1 }, 1000, 8 << 30);
    expect(statsTable([row])).toEqual([
      ['CONTAINER', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS'],
      ['shop-web-1', '50.00%', '64MiB / 256MiB', '25.00%', '3'],
    ]);
    expect(JSON.parse(statsJson(row))).toMatchObject({ Name: 'shop-web-1', CPUPerc: '50.00%', MemPerc: '25.00%', PIDs: '3' });
  });

  it('takes the machine memory as the limit of an unlimited container, and 0% CPU without an earlier sample', () => {
    const row = statsRow('a', 'b', { cpuNanos: 5, memoryBytes: 1536, pids: 1 }, undefined, 0, 1 << 30);
    expect(statsTable([row])[1]).toEqual(['a', '0.00%', '1.5KiB / 1GiB', '0.00%', '1']);
  });

  it('prints sizes with four significant digits', () => {
    expect(binarySize(1_597_000)).toBe('1.523MiB');
    expect(binarySize(512)).toBe('512B');
  });
});

import { describe, expect, it } from 'vitest';
import type { CgroupLayout } from './detect.js';
import { sharesToWeight, tuningWrites, unsupportedTuning } from './tuning.js';

const v1: CgroupLayout = {
  controllers: { memory: { version: 1, mount: '/cg/memory' }, cpu: { version: 1, mount: '/cg/cpu' }, cpuacct: undefined, pids: undefined, devices: undefined, freezer: undefined },
  v1Mounts: [],
};
const v2: CgroupLayout = {
  controllers: { memory: { version: 2, mount: '/cg' }, cpu: { version: 2, mount: '/cg' }, cpuacct: undefined, pids: undefined, devices: undefined, freezer: undefined },
  v2Mount: '/cg',
  v1Mounts: [],
};
const text = (w: { dir: string; file: string; value: string }[]) => w.map((x) => `${x.dir}/${x.file}=${x.value}`);

describe('cgroup tuning writes', () => {
  it('on v1', () => {
    const tuning = { memSwappiness: 0, memswapLimit: 2048, cpuShares: 512, cpuPeriod: 50000, cpuQuota: 25000 };
    expect(text(tuningWrites(v1, 'hafen/p/c', tuning, { memory: 1024 }))).toEqual([
      '/cg/memory/hafen/p/c/memory.swappiness=0',
      '/cg/memory/hafen/p/c/memory.memsw.limit_in_bytes=2048',
      '/cg/cpu/hafen/p/c/cpu.shares=512',
      '/cg/cpu/hafen/p/c/cpu.cfs_period_us=50000',
      '/cg/cpu/hafen/p/c/cpu.cfs_quota_us=25000',
    ]);
  });
  it('on v2', () => {
    expect(text(tuningWrites(v2, 'hafen/p/c', { memswapLimit: 3072, cpuShares: 1024, cpuQuota: 25000 }, { memory: 1024 }))).toEqual([
      '/cg/hafen/p/c/memory.swap.max=2048',
      '/cg/hafen/p/c/cpu.weight=39',
      '/cg/hafen/p/c/cpu.max=25000 100000',
    ]);
    expect(text(tuningWrites(v2, 'hafen/p/c', { memswapLimit: -1, cpuPeriod: 20000 }, { memory: 1 }))).toEqual(['/cg/hafen/p/c/memory.swap.max=max', '/cg/hafen/p/c/cpu.max=max 20000']);
  });
  it('maps shares to weights as runc does', () => {
    expect([sharesToWeight(2), sharesToWeight(1024), sharesToWeight(262144)]).toEqual([1, 39, 10000]);
  });
  it.each([
    [v2, { memSwappiness: 10 }, {}, 'mem_swappiness cannot be set on cgroup v2'],
    [v1, { memswapLimit: 100 }, {}, 'memswap_limit needs a memory limit'],
    [v1, { memswapLimit: 100 }, { memory: 200 }, 'must be at least the memory limit'],
    [v1, { cpuQuota: 50000 }, { cpus: 1 }, 'cpu_quota and cpus both set the CFS quota'],
    [v1, { cpuPeriod: 10 }, {}, 'cpu_period must be between 1000 and 1000000'],
    [{ ...v1, controllers: { ...v1.controllers, cpu: undefined } }, { cpuShares: 10 }, {}, 'cpu_shares needs the cpu cgroup controller'],
  ] as const)('refuses what cannot be honoured: %#', (layout, tuning, limits, message) => {
    expect(unsupportedTuning(layout, tuning, limits)).toContain(message);
  });
});

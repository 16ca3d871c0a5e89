import { describe, expect, it } from 'vitest';
import { parseMountInfo } from '../mountinfo.js';
import { cgroupDirs, layoutFrom } from './detect.js';
import { limitWrites, subtreeWrites } from './limits.js';

const hybridMounts = parseMountInfo(
  [
    '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
    '34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices',
    '38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
    '36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer',
    '39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
    '40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n'),
);
const hybridProc = '#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t1\t1\t1\ncpuacct\t1\t1\t1\nmemory\t4\t31\t1\ndevices\t5\t2\t1\npids\t8\t1\t1\nfreezer\t6\t1\t1\nhugetlb\t0\t1\t1\n';

const v2Mounts = parseMountInfo('25 22 0:23 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate');
const v2Proc = 'cpu\t0\t80\t1\ncpuacct\t0\t80\t1\nmemory\t0\t80\t1\npids\t0\t80\t1\n';

describe('detectCgroups', () => {
  it('puts each controller on the v1 hierarchy that has it, cpu and cpuacct co-mounted in one directory', () => {
    const layout = layoutFrom(hybridMounts, hybridProc, () => ['hugetlb']);
    expect(layout.controllers).toEqual({
      memory: { version: 1, mount: '/sys/fs/cgroup/memory' },
      cpu: { version: 1, mount: '/sys/fs/cgroup/cpu,cpuacct' },
      cpuacct: { version: 1, mount: '/sys/fs/cgroup/cpu,cpuacct' },
      pids: { version: 1, mount: '/sys/fs/cgroup/pids' },
      devices: { version: 1, mount: '/sys/fs/cgroup/devices' },
      freezer: { version: 1, mount: '/sys/fs/cgroup/freezer' },
    });
    expect(cgroupDirs(layout, 'hafen/shop/db')).toEqual([
      '/sys/fs/cgroup/memory/hafen/shop/db',
      '/sys/fs/cgroup/cpu,cpuacct/hafen/shop/db',
      '/sys/fs/cgroup/pids/hafen/shop/db',
      '/sys/fs/cgroup/devices/hafen/shop/db',
      '/sys/fs/cgroup/freezer/hafen/shop/db',
    ]);
  });

  it('filters devices with a BPF program in the cgroup2 tree when no v1 hierarchy has the devices controller', () => {
    const mounts = hybridMounts.filter((m) => m.mountPoint !== '/sys/fs/cgroup/devices');
    const layout = layoutFrom(mounts, hybridProc.replace('devices\t5', 'devices\t0'), () => []);
    expect(layout.controllers.devices).toEqual({ version: 2, mount: '/sys/fs/cgroup/unified' });
    expect(cgroupDirs(layout, 'hafen/shop/db')).toContain('/sys/fs/cgroup/unified/hafen/shop/db');
  });

  it('uses the one cgroup2 directory on a pure v2 host', () => {
    const layout = layoutFrom(v2Mounts, v2Proc, () => ['cpuset', 'cpu', 'io', 'memory', 'pids']);
    expect(Object.values(layout.controllers).every((c) => c?.version === 2 && c.mount === '/sys/fs/cgroup')).toBe(true);
    expect(cgroupDirs(layout, 'hafen/shop/db')).toEqual(['/sys/fs/cgroup/hafen/shop/db']);
  });

  it('mixes versions per controller on a hybrid host whose memory controller is on v2', () => {
    const mounts = hybridMounts.filter((m) => m.mountPoint !== '/sys/fs/cgroup/memory');
    const layout = layoutFrom(mounts, hybridProc.replace('memory\t4', 'memory\t0'), () => ['memory']);
    expect(layout.controllers.memory).toEqual({ version: 2, mount: '/sys/fs/cgroup/unified' });
    expect(layout.controllers.pids).toEqual({ version: 1, mount: '/sys/fs/cgroup/pids' });
    expect(cgroupDirs(layout, 'hafen/shop/db')).toContain('/sys/fs/cgroup/unified/hafen/shop/db');
  });

  it('leaves a controller the kernel lacks undefined', () => {
    const mounts = hybridMounts.filter((m) => m.mountPoint !== '/sys/fs/cgroup/pids');
    const layout = layoutFrom(mounts, hybridProc.replace('pids\t8', 'pids\t0'), () => []);
    expect(layout.controllers.pids).toBeUndefined();
  });
});

describe('limit writes', () => {
  const limits = { memory: 32 << 20, cpus: 0.5, pids: 20 };

  it('v1: memory and memory+swap, CFS quota over a 100 ms period, pids.max', () => {
    const layout = layoutFrom(hybridMounts, hybridProc, () => []);
    const lines = limitWrites(layout, 'hafen/shop/db', limits).map((w) => `${w.dir}/${w.file} = ${w.value}${w.optional ? ' (if present)' : ''}`);
    expect(lines).toEqual([
      '/sys/fs/cgroup/memory/hafen/shop/db/memory.limit_in_bytes = 33554432',
      '/sys/fs/cgroup/memory/hafen/shop/db/memory.memsw.limit_in_bytes = 33554432 (if present)',
      '/sys/fs/cgroup/cpu,cpuacct/hafen/shop/db/cpu.cfs_period_us = 100000',
      '/sys/fs/cgroup/cpu,cpuacct/hafen/shop/db/cpu.cfs_quota_us = 50000',
      '/sys/fs/cgroup/pids/hafen/shop/db/pids.max = 20',
    ]);
    expect(subtreeWrites(layout, 'hafen/shop/db')).toEqual([]);
  });

  it('v2: memory.max without swap, cpu.max, pids.max, and the controllers enabled in every ancestor', () => {
    const layout = layoutFrom(v2Mounts, v2Proc, () => ['cpu', 'memory', 'pids']);
    const lines = limitWrites(layout, 'hafen/shop/db', limits).map((w) => `${w.file} = ${w.value}`);
    expect(lines).toEqual(['memory.max = 33554432', 'memory.swap.max = 0', 'cpu.max = 50000 100000', 'pids.max = 20']);
    expect(subtreeWrites(layout, 'hafen/shop/db').map((w) => `${w.dir}/${w.file} = ${w.value}`)).toEqual([
      '/sys/fs/cgroup/cgroup.subtree_control = +memory +cpu +pids',
      '/sys/fs/cgroup/hafen/cgroup.subtree_control = +memory +cpu +pids',
      '/sys/fs/cgroup/hafen/shop/cgroup.subtree_control = +memory +cpu +pids',
    ]);
  });
});

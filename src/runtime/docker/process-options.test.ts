import { describe, expect, it } from 'vitest';
import { defaultContainerSpec } from '../spec-defaults.js';
import { createRequest } from './create-options.js';
import { processHostConfig, securityOptions } from './process-options.js';

describe("process keys as Docker's HostConfig", () => {
  it('passes every key', () => {
    const spec = defaultContainerSpec('p', 'a-1', {
      image: 'img',
      init: true,
      ulimits: { nofile: { soft: 10, hard: 20 } },
      shmSize: 1 << 20,
      sysctls: { 'net.core.somaxconn': '1024' },
      ipc: { container: 'p-db-1' },
      pid: 'host',
      uts: 'host',
      devices: [{ source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' }],
      deviceCgroupRules: ['c 10:237 rwm', 'b 7:* rw'],
      securityOpt: ['label=disable'],
      groupAdd: ['audio', '1234'],
      oomScoreAdj: -10,
      usernsMode: 'host',
      storageOpt: { size: '1G' },
      cgroup: {
        memSwappiness: 0, memswapLimit: -1, cpuShares: 512, cpuQuota: 1000, cpuPeriod: 2000, cpuset: '0', parent: 'g', cpuCount: 1, cpuPercent: 2,
        blkio: { weight: 300, weight_device: [{ path: '/dev/sda', weight: 20 }], device_read_bps: [{ path: '/dev/sda', rate: 1 }], device_write_bps: [], device_read_iops: [], device_write_iops: [{ path: '/dev/sda', rate: 3 }] },
      },
    });
    expect(processHostConfig(spec)).toEqual({
      Init: true,
      Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 20 }],
      ShmSize: 1 << 20,
      Sysctls: { 'net.core.somaxconn': '1024' },
      IpcMode: 'container:p-db-1',
      PidMode: 'host',
      UTSMode: 'host',
      Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }],
      DeviceCgroupRules: ['c 10:237 rwm', 'b 7:* rw'],
      SecurityOpt: ['no-new-privileges', 'label=disable'],
      GroupAdd: ['audio', '1234'],
      OomScoreAdj: -10,
      UsernsMode: 'host',
      StorageOpt: { size: '1G' },
      MemorySwappiness: 0, MemorySwap: -1, CpuShares: 512, CpuQuota: 1000, CpuPeriod: 2000, CpusetCpus: '0', CgroupParent: 'g', CpuCount: 1, CpuPercent: 2,
      BlkioWeight: 300, BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 20 }], BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1 }], BlkioDeviceWriteIOps: [{ Path: '/dev/sda', Rate: 3 }],
    });
    // Sharing the host's UTS namespace: no hostname of its own (Docker refuses both).
    expect(createRequest(spec, 'img').options.Hostname).toBeUndefined();
  });

  it('sends nothing for a spec without them but the default no-new-privileges', () => {
    expect(processHostConfig(defaultContainerSpec('p', 'a-1', { image: 'img' }))).toEqual({ SecurityOpt: ['no-new-privileges'] });
  });

  it.each([
    [{}, ['no-new-privileges']],
    [{ privileged: true }, []],
    [{ securityOpt: ['no-new-privileges:false'] }, ['no-new-privileges:false']],
    [{ securityOpt: ['no-new-privileges=true', 'apparmor=unconfined'] }, ['no-new-privileges=true', 'apparmor=unconfined']],
    [{ securityOpt: ['seccomp=unconfined'] }, ['no-new-privileges', 'seccomp=unconfined']],
    [{ securityOpt: ['seccomp=/p/profile.json'] }, ['no-new-privileges', 'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']],
  ])('security options %j', (spec, expected) => {
    const read = (file: string) => (file === '/p/profile.json' ? '{\n  "defaultAction": "SCMP_ACT_ALLOW"\n}\n' : '');
    expect(securityOptions({ privileged: false, ...spec }, read)).toEqual(expected);
  });
});

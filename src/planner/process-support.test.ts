import { describe, expect, it } from 'vitest';
import type { Service } from '../config/model.js';
import { runtimeRefusals } from './runtime-support.js';
import { formatPlan } from './format.js';
import { planUp } from './plan-up.js';
import { makeStack } from './test-stack.js';

/** The refusal lines `up` prints for one service `app` with `fields`, on `runtime`. */
function refusals(fields: Partial<Service>, runtime: 'embedded' | 'docker' = 'embedded'): string[] {
  const stack = makeStack({ services: { app: fields }, locations: { 'services.app.cpuset': [4, 5] } });
  return runtimeRefusals(stack, runtime).map((i) => `${i.location.file}:${i.location.line}:${i.location.col} ${i.location.path}: ${i.message}`);
}

describe('process keys the embedded runtime cannot honour', () => {
  it.each<[string, Partial<Service>, string]>([
    ['cpuset', { cpuset: '0' }, 'stack.yaml:4:5 services.app.cpuset: cpuset is not supported on the embedded runtime (hafen does not manage the cpuset cgroup controller); remove it, or use --runtime docker'],
    ['cgroup_parent', { cgroup_parent: 'x' }, 'services.app.cgroup_parent: cgroup_parent is not supported on the embedded runtime'],
    ['storage_opt', { storage_opt: { size: '1G' } }, 'services.app.storage_opt: storage_opt is not supported'],
    ['blkio_config', { blkio_config: { weight: 100, weight_device: [], device_read_bps: [], device_read_iops: [], device_write_bps: [], device_write_iops: [] } }, 'services.app.blkio_config: blkio_config is not supported'],
    ['cpu_count', { cpu_count: 1 }, 'a Windows container option'],
    ['cpu_percent', { cpu_percent: 1 }, 'a Windows container option'],
    ['userns_mode', { userns_mode: 'private' }, 'services.app.userns_mode: userns_mode "private" is not supported on the embedded runtime'],
    ['an AppArmor profile', { security_opt: ['no-new-privileges', 'seccomp=/x.json', 'apparmor=p'] }, 'services.app.security_opt: "apparmor=p" cannot be honoured on the embedded runtime'],
    ['IPC sysctls in a shared IPC namespace', { ipc: 'host', sysctls: { 'kernel.shmmax': '1', 'net.core.somaxconn': '5' } }, 'services.app.sysctls: kernel.shmmax would change the IPC namespace of "ipc: host"'],
    ['net sysctls in a shared network namespace', { network_mode: { kind: 'host' }, sysctls: { 'net.core.somaxconn': '5' } }, 'services.app.sysctls: net.core.somaxconn would change the network namespace of "network_mode: host"'],
    ['ipc: none', { ipc: 'none' }, 'services.app.ipc: "ipc: none" (no /dev/shm) is not supported on the embedded runtime'],
    ['cpu_quota with cpus', { cpu_quota: 50000, resources: { cpus: 1 } }, 'services.app.cpu_quota: cpu_quota and a CPU limit (cpus) both set the CFS quota; keep one of them'],
  ])('%s', (_, fields, expected) => {
    const lines = refusals(fields);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(expected);
    expect(refusals(fields, 'docker')).toEqual([]);
  });

  it('accepts what it honours', () => {
    expect(
      refusals({
        ulimits: { nofile: { soft: 1, hard: 2 } }, shm_size: 1, sysctls: { 'kernel.shmmax': '1', 'net.ipv4.ip_forward': '1' }, ipc: 'shareable', pid: 'host', uts: 'host',
        devices: [{ source: '/dev/zero', target: '/dev/zero', permissions: 'rwm' }], group_add: ['audio'], oom_score_adj: 5, mem_swappiness: 0, memswap_limit: -1,
        cpu_shares: 5, cpu_quota: 50000, cpu_period: 100000, userns_mode: 'host',
        security_opt: ['no-new-privileges:false', 'seccomp=unconfined', 'apparmor=unconfined', 'label=disable', 'label:disable', 'seccomp:unconfined', 'seccomp=/p/profile.json', 'seccomp=builtin'],
      }),
    ).toEqual([]);
  });
});

describe('sharing a namespace in the plan', () => {
  it("creates a container after the one whose IPC or PID namespace it shares (Docker resolves it at create)", () => {
    const stack = makeStack({ name: 'demo', services: { base: { image: 'host' }, probe: { image: 'host', ipc: 'service:base', pid: 'service:base', depends_on: ['base'] } } });
    expect(formatPlan(planUp(stack))).toBe(
      [
        '[] -> #1 network:demo_default  create-network',
        '[1] -> #2 container:demo-base-1  create-container',
        '[2] -> #3 container:demo-base-1  start-container',
        '[1,2] -> #4 container:demo-probe-1  create-container',
        '[3,4] -> #5 container:demo-probe-1  start-container',
      ].join('\n'),
    );
  });
});

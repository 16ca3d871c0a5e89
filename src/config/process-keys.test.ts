/** Process and confinement keys: read as Compose reads them, normalized, written back by `stack config`. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadStack, serializeStack } from './index.js';
import { noNewPrivileges, parseDevice, sysctlNamespace } from './process-keys.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function load(yaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-proc-'));
  made.push(dir);
  fs.writeFileSync(path.join(dir, 'stack.yaml'), yaml);
  return loadStack({ cwd: dir, env: { NOFILE: '4096' } });
}

/** What `stack config --json` prints for the service `app`. */
async function configOf(service: string): Promise<Record<string, unknown>> {
  const stack = await load(`name: p\nservices:\n  db: {image: host}\n  app:\n    image: host\n${service.replace(/^/gm, '    ')}\n`);
  const doc = JSON.parse(JSON.stringify(serializeStack(stack))) as { services: Record<string, Record<string, unknown>> };
  return doc.services.app!;
}

async function errorsOf(service: string): Promise<string[]> {
  const err = await configOf(service).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).message.split('\n');
}

describe('process keys in stack config', () => {
  it.each([
    ['ulimits: {nofile: 1024}', { ulimits: { nofile: { soft: 1024, hard: 1024 } } }],
    ['ulimits: {nofile: {soft: 512, hard: "${NOFILE}"}, core: -1}', { ulimits: { nofile: { soft: 512, hard: 4096 }, core: { soft: -1, hard: -1 } } }],
    ['shm_size: 128m', { shm_size: 134217728 }],
    ['shm_size: 1000000', { shm_size: 1000000 }],
    ['sysctls: {net.core.somaxconn: 1024, kernel.shmmax: 68719476736}', { sysctls: { 'net.core.somaxconn': '1024', 'kernel.shmmax': '68719476736' } }],
    ['sysctls: ["net.ipv4.ip_forward=1", "fs.mqueue.msg_max=20"]', { sysctls: { 'net.ipv4.ip_forward': '1', 'fs.mqueue.msg_max': '20' } }],
    ['ipc: shareable', { ipc: 'shareable' }],
    ['ipc: host', { ipc: 'host' }],
    ['pid: host', { pid: 'host' }],
    ['pid: null', {}],
    ['uts: host', { uts: 'host' }],
    ['devices: [/dev/fuse]', { devices: [{ source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' }] }],
    ['devices: ["/dev/zero:/dev/z:r", "/dev/null:/dev/n"]', { devices: [{ source: '/dev/zero', target: '/dev/z', permissions: 'r' }, { source: '/dev/null', target: '/dev/n', permissions: 'rwm' }] }],
    ['devices: [{source: /dev/zero, permissions: rw}]', { devices: [{ source: '/dev/zero', target: '/dev/zero', permissions: 'rw' }] }],
    ['device_cgroup_rules: ["c 1:3 mr", "a *:* rwm", "b 8:* rw"]', { device_cgroup_rules: ['c 1:3 mr', 'a *:* rwm', 'b 8:* rw'] }],
    ['security_opt: [no-new-privileges:false, seccomp=unconfined]', { security_opt: ['no-new-privileges:false', 'seccomp=unconfined'] }],
    ['security_opt: ["seccomp:builtin", "label=disable"]', { security_opt: ['seccomp:builtin', 'label=disable'] }],
    ['group_add: [audio, 1234]', { group_add: ['audio', '1234'] }],
    ['oom_score_adj: -500', { oom_score_adj: -500 }],
    ['mem_swappiness: 0', { mem_swappiness: 0 }],
    ['memswap_limit: -1', { memswap_limit: -1 }],
    ['memswap_limit: 1g', { memswap_limit: 1073741824 }],
    ['cpu_shares: 512', { cpu_shares: 512 }],
    ['{cpu_quota: 50000, cpu_period: "100000"}', { cpu_quota: 50000, cpu_period: 100000 }],
    ['cpuset: "0,1"', { cpuset: '0,1' }],
    ['cgroup_parent: mygroup', { cgroup_parent: 'mygroup' }],
    ['userns_mode: host', { userns_mode: 'host' }],
    ['storage_opt: {size: 1G}', { storage_opt: { size: '1G' } }],
    ['blkio_config: {weight: 300, device_read_bps: [{path: /dev/sda, rate: 12mb}], device_write_iops: [{path: /dev/sda, rate: 30}]}', { blkio_config: { weight: 300, device_read_bps: [{ path: '/dev/sda', rate: 12582912 }], device_write_iops: [{ path: '/dev/sda', rate: 30 }] } }],
    ['{cpu_count: 2, cpu_percent: 50}', { cpu_count: 2, cpu_percent: 50 }],
  ])('%s', async (yaml, expected) => {
    const body = yaml.startsWith('{') ? yaml.slice(1, -1).split(', ').join('\n') : yaml;
    const out = await configOf(body);
    for (const [key, value] of Object.entries(expected)) expect(out[key]).toEqual(value);
    if (Object.keys(expected).length === 0) expect(out.pid).toBeUndefined();
  });

  /** Loads a stack with files next to it. */
  async function loadWith(yaml: string, files: Record<string, string>) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-proc-'));
    made.push(dir);
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    fs.writeFileSync(path.join(dir, 'stack.yaml'), yaml);
    return loadStack({ cwd: dir, env: {} });
  }

  it('reads a seccomp profile file relative to the stack file, as Compose does, and checks it at once', async () => {
    const stack = await loadWith('services:\n  app:\n    image: host\n    security_opt: [seccomp=profiles/p.json]\n', {
      'profiles/p.json': '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}',
    });
    expect(stack.services.app!.security_opt).toEqual([`seccomp=${path.join(path.dirname(stack.file), 'profiles/p.json')}`]);
  });

  it.each([
    ['a missing profile', {}, /stack\.yaml:4:35 services\.app\.security_opt\[1\]: cannot read seccomp profile \/.*\/p\.json: ENOENT/],
    ['a profile that is not JSON', { 'p.json': '{defaultAction' }, /stack\.yaml:4:35 services\.app\.security_opt\[1\]: seccomp profile \/.*\/p\.json: not valid JSON/],
    ['an unknown action', { 'p.json': '{"defaultAction": "SCMP_ACT_MAYBE"}' }, /services\.app\.security_opt\[1\]: seccomp profile \/.*\/p\.json: defaultAction: unknown action "SCMP_ACT_MAYBE"/],
    ['a profile the container init cannot live with', { 'p.json': '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]}' }, /p\.json refuses rt_sigtimedwait, wait4, kill, sendmsg, exit_group, which the container's init needs/],
    ['a notify listener', { 'p.json': '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/a.sock"}' }, /p\.json: listenerPath: seccomp notify listeners are not supported/],
  ])('refuses %s at its key, with the profile\'s own error', async (_what, files, message) => {
    const err = await loadWith('services:\n  app:\n    image: host\n    security_opt: [label=disable, seccomp=p.json]\n', files).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(message);
  });

  it('leaves the keys out of a service that does not use them', async () => {
    const out = await configOf('command: ["true"]');
    for (const key of ['ulimits', 'sysctls', 'devices', 'security_opt', 'group_add', 'ipc', 'pid', 'blkio_config']) expect(out).not.toHaveProperty(key);
  });

  it('makes the service whose ipc or pid namespace is shared a dependency, as Compose does', async () => {
    const out = await configOf('ipc: service:db\npid: "service:db"');
    expect(out.depends_on).toEqual({ db: { condition: 'service_started', restart: true } });
  });

  it('names a sysctl that is not namespaced, as Docker refuses it', async () => {
    const lines = await errorsOf('sysctls: {kernel.pid_max: 100000, net.ipv4.ip_forward: 1}');
    expect(lines.join('\n')).toMatch(/stack\.yaml:\d+:\d+ services\.app\.sysctls\.kernel\.pid_max: sysctl "kernel\.pid_max" is not namespaced/);
    expect(lines.join('\n')).not.toMatch(/ip_forward/);
  });

  it.each([
    ['ulimits: {nofiles: 10}', /services\.app\.ulimits\.nofiles: unknown ulimit "nofiles"/],
    ['ulimits: {nofile: {soft: 20, hard: 10}}', /services\.app\.ulimits\.nofile: the soft limit 20 is above the hard limit 10/],
    ['ulimits: {nofile: {soft: 20}}', /services\.app\.ulimits\.nofile/],
    ['oom_score_adj: 1001', /services\.app\.oom_score_adj/],
    ['mem_swappiness: 101', /services\.app\.mem_swappiness/],
    ['ipc: sometimes', /services\.app\.ipc/],
    ['pid: private', /services\.app\.pid/],
    ['devices: ["dev/x"]', /services\.app\.devices\[0\]: device paths must be absolute/],
    ['devices: ["/dev/x:/dev/y:rwx"]', /services\.app\.devices\[0\]: device permissions/],
    ['device_cgroup_rules: ["c 1:3 mr", "x 1:3 r"]', /services\.app\.device_cgroup_rules\[1\]: expected "TYPE MAJOR:MINOR ACCESS"/],
    ['device_cgroup_rules: ["c 1:3 rr"]', /services\.app\.device_cgroup_rules\[0\]: access letters repeat/],
    ['device_cgroup_rules: ["c 1:3"]', /services\.app\.device_cgroup_rules\[0\]: expected/],
    ['device_cgroup_rules: ["c 9999999999:3 r"]', /services\.app\.device_cgroup_rules\[0\]: the major number/],
    ['cpuset: "0-"', /services\.app\.cpuset/],
  ])('refuses %s', async (yaml, pattern) => {
    const lines = await errorsOf(yaml);
    expect(lines.join('\n')).toMatch(pattern);
    expect(lines.join('\n')).toMatch(/stack\.yaml:\d+:\d+/);
  });
});

describe('helpers', () => {
  it('knows which namespace a sysctl lives in', () => {
    expect([sysctlNamespace('net.ipv4.ip_forward'), sysctlNamespace('kernel.sem'), sysctlNamespace('fs.mqueue.queues_max'), sysctlNamespace('vm.swappiness')]).toEqual(['net', 'ipc', 'ipc', undefined]);
  });
  it('reads no-new-privileges in its spellings; the last one wins', () => {
    expect(noNewPrivileges(undefined)).toBeUndefined();
    expect(noNewPrivileges(['no-new-privileges'])).toBe(true);
    expect(noNewPrivileges(['no-new-privileges:false'])).toBe(false);
    expect(noNewPrivileges(['no-new-privileges=true', 'label=disable'])).toBe(true);
    expect(noNewPrivileges(['no-new-privileges:true', 'no-new-privileges:false'])).toBe(false);
  });
  it('reads a device as compose-go does', () => {
    expect(parseDevice('/dev/a:/dev/b:rw')).toEqual({ source: '/dev/a', target: '/dev/b', permissions: 'rw' });
    expect(() => parseDevice('/dev/a:/dev/b:rw:x')).toThrow(/expected/);
  });
});

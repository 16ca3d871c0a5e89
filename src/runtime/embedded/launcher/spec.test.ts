import { describe, expect, it } from 'vitest';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES, capabilityMask, capabilityName, resolveCapabilities } from './capabilities.js';
import { exitCodeOf, parseExitStatus } from './exit-status.js';
import { envPayload, execArgv, runArgv, type LaunchSpec } from './spec.js';

const base: LaunchSpec = { rootfs: { kind: 'dir', path: '/r' }, capabilities: [], command: ['true'] };
const tail = ['--net', 'new'];

describe('runArgv', () => {
  it.each<[string, Partial<LaunchSpec>, string[]]>([
    ['a plain rootfs', {}, ['--rootfs', '/r', ...tail]],
    [
      'an overlay, top layer first',
      { rootfs: { kind: 'overlay', lower: ['/l2', '/l1'], upper: '/u', work: '/w', target: '/t' } },
      ['--rootfs-lower', '/l2', '--rootfs-lower', '/l1', '--rootfs-upper', '/u', '--rootfs-work', '/w', '--rootfs-target', '/t', ...tail],
    ],
    [
      'a volatile overlay',
      { rootfs: { kind: 'overlay', lower: ['/l'], upper: '/u', work: '/w', target: '/t', volatile: true } },
      ['--rootfs-lower', '/l', '--rootfs-upper', '/u', '--rootfs-work', '/w', '--rootfs-target', '/t', '--rootfs-volatile', ...tail],
    ],
    ['a read-only root', { readOnlyRootfs: true }, ['--rootfs', '/r', '--rootfs-readonly', ...tail]],
    ['binds', { binds: [{ source: '/a', target: '/b' }, { source: '/c', target: '/d', readOnly: true }] }, ['--rootfs', '/r', '--bind', '/a:/b', '--bind', '/c:/d:ro', ...tail]],
    ['tmpfs', { tmpfs: [{ target: '/t' }, { target: '/s', sizeBytes: 1024, mode: 0o755, noexec: true }] }, ['--rootfs', '/r', '--tmpfs', '/t', '--tmpfs', '/s:size=1024,mode=755,noexec', ...tail]],
    ['host dirs', { hostReadOnly: ['/usr', '/bin'] }, ['--rootfs', '/r', '--host-ro', '/usr', '--host-ro', '/bin', ...tail]],
    ['host network', { net: 'host' }, ['--rootfs', '/r', '--net', 'host']],
    ['a joined network', { net: { join: '/proc/9/ns/net' } }, ['--rootfs', '/r', '--net', '/proc/9/ns/net']],
    ['hostname and cwd', { hostname: 'h', cwd: '/app' }, ['--rootfs', '/r', ...tail, '--hostname', 'h', '--cwd', '/app']],
    ['env', { env: { A: '1', B: 'x=y' } }, ['--rootfs', '/r', ...tail, '--env-fd', '4']],
    ['a user', { user: { uid: 1000, gid: 100, groups: [5, 6] } }, ['--rootfs', '/r', ...tail, '--user', '1000:100', '--groups', '5,6']],
    ['capabilities by any name', { capabilities: ['chown', 'CAP_KILL'] }, ['--rootfs', '/r', ...tail, '--cap', 'CAP_CHOWN', '--cap', 'CAP_KILL']],
    ['cgroups', { cgroups: ['/sys/fs/cgroup/memory/x', '/sys/fs/cgroup/pids/x'] }, ['--rootfs', '/r', ...tail, '--cgroup', '/sys/fs/cgroup/memory/x', '--cgroup', '/sys/fs/cgroup/pids/x']],
    ['a tty', { tty: true }, ['--rootfs', '/r', ...tail, '--tty']],
    ['privileged', { privileged: true }, ['--rootfs', '/r', ...tail, '--privileged']],
    ['a log', { log: { file: '/l', maxBytes: 10 } }, ['--rootfs', '/r', ...tail, '--log', '/l', '--log-max', '10']],
    ['a log kept in 3 files', { log: { file: '/l', maxBytes: 10, files: 3 } }, ['--rootfs', '/r', ...tail, '--log', '/l', '--log-max', '10', '--log-files', '3']],
    ['detached', { detach: { statusFile: '/s' } }, ['--rootfs', '/r', ...tail, '--detach', '--status-file', '/s']],
    ['a seccomp filter: its fd, never its bytes', { seccompFilter: Buffer.alloc(16, 0x41) }, ['--rootfs', '/r', ...tail, '--seccomp-fd', '5']],
  ])('%s', (_, spec, expected) => {
    expect(runArgv({ ...base, ...spec })).toEqual(['run', ...expected, '--', 'true']);
  });

  it("passes Docker's default capabilities unless told otherwise", () => {
    const argv = runArgv({ ...base, capabilities: undefined });
    expect(argv.filter((_, i) => argv[i - 1] === '--cap')).toEqual(DOCKER_DEFAULT_CAPABILITIES);
  });

  it('adds the sync fd and keeps the command intact', () => {
    expect(runArgv({ ...base, command: ['sh', '-c', 'echo --net'] }, { syncFd: 3 }).slice(-6)).toEqual(['--sync-fd', '3', '--', 'sh', '-c', 'echo --net']);
  });

  it.each<[string, Partial<LaunchSpec>, string]>([
    ['no command', { command: [] }, 'no command given'],
    ['a colon in a bind', { binds: [{ source: '/a:b', target: '/c' }] }, "paths with ':' are not supported"],
    ['a bad env name', { env: { 'A=B': '1' } }, 'bad environment variable name'],
    ['a bad uid', { user: { uid: -1, gid: 0 } }, 'bad user or group id -1'],
    ['an unknown capability', { capabilities: ['CAP_FLY'] }, 'unknown capability CAP_FLY'],
    ['an overlay without layers', { rootfs: { kind: 'overlay', lower: [], upper: '/u', work: '/w', target: '/t' } }, 'at least one lower dir'],
  ])('refuses %s', (_, spec, message) => {
    expect(() => runArgv({ ...base, ...spec })).toThrow(message);
  });
});

describe('execArgv', () => {
  it('targets the container init and carries the process options', () => {
    expect(execArgv(42, { command: ['ls', '-l'], env: { A: '1' }, user: { uid: 1, gid: 2 }, cwd: '/x', capabilities: [] })).toEqual([
      'exec', '--target', '42', '--cwd', '/x', '--env-fd', '4', '--user', '1:2', '--', 'ls', '-l',
    ]);
  });
});

describe('envPayload', () => {
  it('is NUL-terminated K=V entries, and no argv carries a value', () => {
    const spec = { ...base, env: { A: '1', B: 'x=y', C: '' } };
    expect(envPayload(spec)?.toString()).toBe('A=1\0B=x=y\0C=\0');
    expect(runArgv(spec).join(' ')).not.toMatch(/x=y|A=1/);
  });
  it('is nothing without an environment', () => {
    expect(envPayload(base)).toBeUndefined();
    expect(runArgv(base)).not.toContain('--env-fd');
  });
  it('refuses a NUL byte in a value naming the variable, not the value', () => {
    expect(() => envPayload({ ...base, env: { PASSWORD: 'se\0cret' } })).toThrow(/PASSWORD contains a NUL byte$/);
  });
});

describe('capabilities', () => {
  it("has Docker's default set as CapEff shows it", () => {
    expect(capabilityMask(DOCKER_DEFAULT_CAPABILITIES).toString(16)).toBe('a80425fb');
  });
  it.each([
    ['chown', 'CAP_CHOWN'],
    ['NET_ADMIN', 'CAP_NET_ADMIN'],
    ['cap_sys_admin', 'CAP_SYS_ADMIN'],
  ])('names %s %s', (name, full) => expect(capabilityName(name)).toBe(full));
  it('applies cap_add and cap_drop as Docker does', () => {
    expect(resolveCapabilities(['NET_ADMIN'], ['CHOWN'])).toEqual(
      CAPABILITIES.filter((c) => (DOCKER_DEFAULT_CAPABILITIES.includes(c) && c !== 'CAP_CHOWN') || c === 'CAP_NET_ADMIN'),
    );
    expect(resolveCapabilities(['KILL'], ['ALL'])).toEqual(['CAP_KILL']);
    expect(resolveCapabilities(['ALL'], ['SYS_ADMIN'])).toHaveLength(CAPABILITIES.length - 1);
  });
});

describe('exit status', () => {
  it.each([
    ['exited 0', { kind: 'exited', code: 0, oom: false }, 0],
    ['exited 3\n', { kind: 'exited', code: 3, oom: false }, 3],
    ['signaled 9 oom', { kind: 'signaled', signal: 9, oom: true }, 137],
  ] as const)('%j', (text, status, code) => {
    expect(parseExitStatus(text)).toEqual(status);
    expect(exitCodeOf(status)).toBe(code);
  });
  it('rejects anything else', () => expect(parseExitStatus('done')).toBeUndefined());
});

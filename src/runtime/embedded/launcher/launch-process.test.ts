/**
 * hafen-run's process and confinement options, observed from inside real containers: rlimits,
 * /dev/shm size, sysctls, oom_score_adj, shared IPC/PID/UTS namespaces, no_new_privs, devices.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../../../testing/requirements.js';
import { makeBusyboxRootfs } from './busybox-rootfs.js';
import type { ExitStatus } from './exit-status.js';
import { hafenRunCommand } from './hafen-run-path.js';
import { execIn, launch, type LaunchedProcess } from './launch.js';
import { runArgv, type LaunchSpec } from './spec.js';

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const nsOf = (pid: number | 'self', kind: string) => fs.readlinkSync(`/proc/${pid}/ns/${kind}`);
const needs = unmet(requireRoot(), requireOverlay(), requireCommand('busybox'));

describe('runArgv: process options', () => {
  const base: LaunchSpec = { rootfs: { kind: 'dir', path: '/r' }, capabilities: [], command: ['true'] };
  it.each<[string, Partial<LaunchSpec>, string[]]>([
    ['shared namespaces', { ipc: { join: '/proc/7/ns/ipc' }, pid: 'host', uts: 'host' }, ['--ipc', '/proc/7/ns/ipc', '--pid', 'host', '--uts', 'host']],
    ['new namespaces (the default) add nothing', { ipc: 'new', pid: 'new', uts: 'new' }, []],
    ['sysctls', { sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmni': '100' } }, ['--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmni=100']],
    ['shm size and oom_score_adj', { shmSizeBytes: 1048576, oomScoreAdj: -500 }, ['--shm-size', '1048576', '--oom-score-adj', '-500']],
    ['stdin kept open', { stdinOpen: true }, ['--stdin-open']],
    ['ulimits and new privileges', { ulimits: { nofile: { soft: 10, hard: 20 }, core: { soft: -1, hard: -1 } }, allowNewPrivileges: true }, ['--ulimit', 'nofile=10:20', '--ulimit', 'core=-1:-1', '--allow-new-privileges']],
  ])('%s', (_, spec, expected) => {
    const argv = runArgv({ ...base, ...spec });
    expect(argv.slice(argv.indexOf('new') + 1, argv.indexOf('--'))).toEqual(expected);
  });

  it.each<[string, Partial<LaunchSpec>, string]>([
    ['a sysctl path', { sysctls: { '../../etc/x': '1' } }, 'bad sysctl'],
    ['an oom_score_adj out of range', { oomScoreAdj: 1001 }, 'bad oom_score_adj'],
    ['a negative shm size', { shmSizeBytes: -1 }, 'bad /dev/shm size'],
    ['a bad ulimit', { ulimits: { nofile: { soft: 1.5, hard: 2 } } }, 'bad ulimit'],
  ])('refuses %s', (_, spec, message) => {
    expect(() => runArgv({ ...base, ...spec })).toThrow(message);
  });

  it('refuses what the launcher cannot parse, naming the option', () => {
    for (const [opt, value, message] of [
      ['--ulimit', 'nofiles=1:2', '--ulimit NAME=SOFT:HARD'],
      ['--ulimit', 'nofile=3:2', '--ulimit NAME=SOFT:HARD'],
      ['--sysctl', 'net/../x=1', '--sysctl KEY=VALUE'],
      ['--ipc', 'other', '--ipc new|host|/proc/PID/ns/ipc'],
      ['--oom-score-adj', '-1001', '--oom-score-adj -1000..1000'],
    ]) {
      const r = spawnSync(...hafenRunCommand(['run', '--rootfs', '/nonexistent', opt!, value!, '--', 'true']), { encoding: 'utf8' });
      expect(r.status).toBe(125);
      expect(r.stderr).toContain(message);
    }
  });
});

describe.skipIf(needs)('hafen-run: process options in a container', () => {
  let base: string;
  let lower: string;
  let n = 0;
  const inits: number[] = [];

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-launch-proc-'));
    lower = path.join(base, 'lower');
    makeBusyboxRootfs(lower);
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  afterEach(() => {
    const left: string[] = [];
    for (const pid of inits.splice(0)) if (alive(pid)) left.push(`container init ${pid}`);
    for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let text = '';
      try {
        text = fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
      } catch {
        continue;
      }
      if (text.includes(base)) left.push(`a mount of the test in the mount namespace of ${pid}`);
    }
    expect(left).toEqual([]);
  });

  function rootfs(): LaunchSpec['rootfs'] {
    const dir = path.join(base, `c${++n}`);
    for (const d of ['upper', 'work']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    return { kind: 'overlay', lower: [lower], upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), target: path.join(dir, 'rootfs') };
  }

  async function start(spec: Partial<LaunchSpec> & { command: string[] }): Promise<LaunchedProcess & { out: () => string }> {
    const c = await launch({ rootfs: rootfs(), env: { PATH: '/bin' }, ...spec }, { stdio: 'pipe' });
    inits.push(c.pid);
    let out = '';
    c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    return Object.assign(c, { out: () => out });
  }

  async function run(spec: Partial<LaunchSpec> & { command: string[] }): Promise<{ status: ExitStatus; out: string }> {
    const c = await start(spec);
    await c.go();
    const status = await c.wait();
    return { status, out: c.out() };
  }

  const sh = (script: string) => ['sh', '-c', script];

  it('sets rlimits before exec; one this host refuses to raise fails the start, naming it', async () => {
    const r = await run({ ulimits: { nofile: { soft: 100, hard: 200 }, core: { soft: 0, hard: 0 } }, command: sh('ulimit -n; ulimit -Hn; ulimit -c') });
    expect(r.out).toBe('100\n200\n0\n');
    // Whether raising past the host's hard limit works depends on the host; either way nothing is dropped silently.
    const hostHard = Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim());
    const canRaise = spawnSync('prlimit', [`--nofile=${hostHard + 1}:${hostHard + 1}`, 'true']).status === 0;
    const c = await start({ ulimits: { nofile: { soft: hostHard + 1, hard: hostHard + 1 } }, command: sh('ulimit -Hn') });
    if (canRaise) {
      await c.go();
      await c.wait();
      expect(c.out()).toBe(`${hostHard + 1}\n`);
    } else {
      await expect(c.go()).rejects.toThrow(`ulimit nofile=${hostHard + 1}:${hostHard + 1}: this host does not let the hard limit rise above ${hostHard}`);
      expect(await c.wait()).toMatchObject({ kind: 'exited', code: 125 });
    }
  });

  it('sizes /dev/shm', async () => {
    expect((await run({ command: sh('df -k /dev/shm | tail -1') })).out.split(/\s+/)[1]).toBe('65536');
    expect((await run({ shmSizeBytes: 128 * 1024 * 1024, command: sh('df -k /dev/shm | tail -1') })).out.split(/\s+/)[1]).toBe('131072');
  });

  it("writes sysctls in the container's own network and IPC namespaces only", async () => {
    // Sysctls no other test on this machine changes, so the host's values stay put while we look.
    const hostPorts = fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8');
    const hostShmmni = fs.readFileSync('/proc/sys/kernel/shmmni', 'utf8');
    const r = await run({
      sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80', 'kernel.shmmni': '1234' },
      command: sh('cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmni'),
    });
    expect(r.out).toBe('80\n1234\n');
    expect(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')).toBe(hostPorts);
    expect(fs.readFileSync('/proc/sys/kernel/shmmni', 'utf8')).toBe(hostShmmni);
    const bad = await start({ sysctls: { 'net.no.such.key': '1' }, command: ['true'] });
    await expect(bad.go()).rejects.toThrow('sysctl net.no.such.key=1: open No such file or directory');
    await bad.wait();
    // Never into a namespace the container shares (here: the host's).
    const shared = await start({ net: 'host', ipc: 'host', sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80' }, command: ['true'] });
    await expect(shared.go()).rejects.toThrow('sysctl net.ipv4.ip_unprivileged_port_start: the container shares its network namespace');
    await shared.wait();
    const ipc = await start({ ipc: 'host', sysctls: { 'kernel.shmmni': '1234' }, command: ['true'] });
    await expect(ipc.go()).rejects.toThrow('sysctl kernel.shmmni: the container shares its IPC namespace');
    await ipc.wait();
    expect(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')).toBe(hostPorts);
    expect(fs.readFileSync('/proc/sys/kernel/shmmni', 'utf8')).toBe(hostShmmni);
  });

  it('sets oom_score_adj and rlimits for the command, and for an exec told so', async () => {
    expect((await run({ oomScoreAdj: 432, command: sh('cat /proc/self/oom_score_adj') })).out).toBe('432\n');
    expect((await run({ command: sh('cat /proc/self/oom_score_adj') })).out).toBe('0\n');
    const c = await start({ command: ['sleep', '100'] });
    try {
      await c.go();
      const e = execIn(c.pid, { command: sh('cat /proc/self/oom_score_adj; ulimit -n'), env: { PATH: '/bin' }, oomScoreAdj: 7, ulimits: { nofile: { soft: 77, hard: 77 } } }, { stdio: 'pipe' });
      let out = '';
      e.stdout?.on('data', (b: Buffer) => (out += b.toString()));
      e.stderr?.on('data', (b: Buffer) => (out += b.toString()));
      expect(await e.wait(), out).toMatchObject({ code: 0 });
      expect(out).toBe('7\n77\n');
    } finally {
      c.kill('SIGKILL');
      await c.wait();
    }
    // Lowering it needs CAP_SYS_RESOURCE, which some hosts (this one) withhold even from root.
    const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]}`);
    const low = await start({ oomScoreAdj: -7, command: sh('cat /proc/self/oom_score_adj') });
    if (capEff & (1n << 24n)) {
      await low.go();
      await low.wait();
      expect(low.out()).toBe('-7\n');
    } else {
      await expect(low.go()).rejects.toThrow('oom_score_adj -7: lowering it needs CAP_SYS_RESOURCE, which this host does not give');
      await low.wait();
    }
  });

  it("shares another container's IPC and PID namespaces, or the host's", async () => {
    const a = await start({ command: ['sleep', '100'] });
    try {
      await a.go();
      const b = await run({
        ipc: { join: `/proc/${a.pid}/ns/ipc` },
        pid: { join: `/proc/${a.pid}/ns/pid` },
        command: sh('readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid; ps -o comm | grep -c sleep'),
      });
      expect(b.out).toBe(`${nsOf(a.pid, 'ipc')}\n${nsOf(a.pid, 'pid')}\n1\n`);
    } finally {
      a.kill('SIGKILL');
      await a.wait();
    }

    const h = await run({ ipc: 'host', pid: 'host', uts: 'host', command: sh('for ns in ipc pid uts; do readlink /proc/self/ns/$ns; done; hostname') });
    expect(h.out).toBe(`${nsOf('self', 'ipc')}\n${nsOf('self', 'pid')}\n${nsOf('self', 'uts')}\n${os.hostname()}\n`);
    const own = await run({ hostname: 'box', command: sh('readlink /proc/self/ns/ipc; hostname') });
    expect(own.out).not.toContain(nsOf('self', 'ipc'));
    expect(own.out).toContain('box\n');
  });

  it('keeps the hostname of the host when sharing its UTS namespace', async () => {
    const before = os.hostname();
    const r = await run({ uts: 'host', hostname: 'must-not-be-set', command: sh('hostname') });
    expect(r.out).toBe(`${before}\n`);
    expect(os.hostname()).toBe(before);
  });

  it('sets no_new_privs unless new privileges are allowed', async () => {
    expect((await run({ command: sh('grep NoNewPrivs /proc/self/status') })).out).toMatch(/NoNewPrivs:\s+1/);
    expect((await run({ allowNewPrivileges: true, command: sh('grep NoNewPrivs /proc/self/status') })).out).toMatch(/NoNewPrivs:\s+0/);
  });

  it('keeps a logged command\'s stdin open with stdinOpen, /dev/null otherwise', async () => {
    // cat ends at EOF (0), or is ended by timeout while it still waits (143).
    const script = sh('timeout 1 cat; echo cat=$?');
    for (const [stdinOpen, expected] of [[false, /stdout cat=0$/m], [true, /stdout cat=143$/m]] as const) {
      const file = path.join(base, `stdin-${n}-${stdinOpen}.log`);
      const c = await start({ stdinOpen, log: { file }, command: script });
      await c.go();
      await c.wait();
      expect(fs.readFileSync(file, 'utf8')).toMatch(expected);
    }
  });

  it('makes a host device node available at another path in /dev', async () => {
    const r = await run({ binds: [{ source: '/dev/zero', target: '/dev/myzero' }], command: sh('test -c /dev/myzero && head -c 3 /dev/myzero | od -An -tx1') });
    expect(r.out.trim()).toBe('00 00 00');
  });
});

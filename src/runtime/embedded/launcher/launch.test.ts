import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../../../testing/requirements.js';
import { makeBusyboxRootfs } from './busybox-rootfs.js';
import { DOCKER_DEFAULT_CAPABILITIES, capabilityMask } from './capabilities.js';
import { exitCodeOf, type ExitStatus } from './exit-status.js';
import { hafenRunCommand, launcherWrapper } from './hafen-run-path.js';
import { execIn, launch, type LaunchedProcess } from './launch.js';
import { SYNC_FD, runArgv, type LaunchSpec } from './spec.js';

/** Resolves once `check` holds (polled every 10 ms), failing after `ms`. */
async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A live process (a zombie waiting for a reaper holds nothing of the container any more). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const needs = unmet(requireRoot(), requireOverlay(), requireCommand('busybox'));

describe.skipIf(needs)('hafen-run: containers', () => {
  let base: string;
  let lower: string;
  let n = 0;
  const inits: number[] = [];

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-launch-'));
    lower = path.join(base, 'lower');
    makeBusyboxRootfs(lower);
    fs.writeFileSync(path.join(lower, 'secret'), 'root only\n', { mode: 0o600 });
    fs.writeFileSync(path.join(lower, 'not-executable'), '#!/bin/sh\n', { mode: 0o644 });
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  /** Nothing of the test may remain: no process, and no mount in any mount namespace. */
  afterEach(() => {
    const left: string[] = [];
    for (const pid of inits.splice(0)) if (alive(pid)) left.push(`container init ${pid}`);
    for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      const read = (f: string) => {
        try {
          return fs.readFileSync(`/proc/${pid}/${f}`, 'utf8');
        } catch {
          return '';
        }
      };
      if (read('cmdline').includes(base) && alive(Number(pid))) left.push(`process ${pid}: ${read('cmdline').replaceAll('\0', ' ')}`);
      if (read('mountinfo').includes(base)) left.push(`a mount of the test in the mount namespace of ${pid}`);
    }
    expect(left).toEqual([]);
  });

  /** A fresh container dir: its own upper, work and target over the shared busybox layer. */
  function rootfs(): LaunchSpec['rootfs'] & { upper: string; target: string } {
    const dir = path.join(base, `c${++n}`);
    for (const d of ['upper', 'work']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    return { kind: 'overlay', lower: [lower], upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), target: path.join(dir, 'rootfs') };
  }

  async function start(spec: Partial<LaunchSpec> & { command: string[] }): Promise<LaunchedProcess & { out: () => string; err: () => string }> {
    const c = await launch({ rootfs: rootfs(), env: { PATH: '/bin' }, ...spec }, { stdio: 'pipe' });
    inits.push(c.pid);
    let out = '';
    let err = '';
    c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    return Object.assign(c, { out: () => out, err: () => err });
  }

  async function run(spec: Partial<LaunchSpec> & { command: string[] }): Promise<{ status: ExitStatus; out: string; err: string }> {
    const c = await start(spec);
    await c.go();
    const status = await c.wait();
    return { status, out: c.out(), err: c.err() };
  }

  it('shows the command output and passes its exit code on', async () => {
    const r = await run({ command: ['sh', '-c', 'echo hello; echo oops >&2; exit 3'] });
    expect(r).toEqual({ status: { kind: 'exited', code: 3, oom: false }, out: 'hello\n', err: 'oops\n' });
  });

  it('reports a command killed by SIGKILL as signal 9 (exit code 137)', async () => {
    const r = await run({ command: ['sh', '-c', 'kill -9 $$'] });
    expect(r.status).toEqual({ kind: 'signaled', signal: 9, oom: false });
    expect(exitCodeOf(r.status)).toBe(137);

    const c = await start({ command: ['sleep', '100'] });
    await c.go();
    c.kill('SIGKILL');
    expect(await c.wait()).toEqual({ kind: 'signaled', signal: 9, oom: false });
  });

  it('runs init as PID 1 and shows only the container processes', async (ctx) => {
    // qemu-user keeps a helper thread in every process it runs, the container's init too: that thread takes PID 2.
    ctx.skip(launcherWrapper() !== undefined, "under qemu-user, init's helper thread takes PID 2");
    const r = await run({ command: ['sh', '-c', 'cat /proc/1/comm; echo $$; ps -o pid,comm'] });
    const [init, self, , ...ps] = r.out.trim().split('\n');
    expect(init).toBe('hafen-init');
    expect(self).toBe('2');
    // sh execs its last command, so ps replaced it as pid 2.
    expect(ps.map((l) => l.trim().split(/\s+/).join(' '))).toEqual(['1 hafen-init', '2 ps']);
  });

  it('hides the host: files outside the rootfs are not there', async () => {
    const marker = path.join('/tmp', `hafen-marker-${process.pid}-${Date.now()}`);
    fs.writeFileSync(marker, 'host');
    try {
      const r = await run({ command: ['sh', '-c', `test -e ${marker} && echo visible; ls /`] });
      expect(r.out.trim().split('\n').sort()).toEqual(['bin', 'dev', 'etc', 'not-executable', 'proc', 'secret', 'sys', 'tmp']);
    } finally {
      fs.rmSync(marker);
    }
  });

  it('writes land in the upper dir, never in the lower dirs', async () => {
    const fsSpec = rootfs();
    const before = fs.readFileSync(path.join(lower, 'etc', 'passwd'), 'utf8');
    const c = await launch({ rootfs: fsSpec, env: { PATH: '/bin' }, command: ['sh', '-c', 'echo new > /new; echo extra >> /etc/passwd; rm /secret'] });
    inits.push(c.pid);
    await c.go();
    expect(await c.wait()).toMatchObject({ kind: 'exited', code: 0 });
    expect(fs.readFileSync(path.join(fsSpec.upper, 'new'), 'utf8')).toBe('new\n');
    expect(fs.readFileSync(path.join(fsSpec.upper, 'etc', 'passwd'), 'utf8')).toBe(`${before}extra\n`);
    expect(fs.readFileSync(path.join(lower, 'etc', 'passwd'), 'utf8')).toBe(before);
    expect(fs.existsSync(path.join(lower, 'secret'))).toBe(true);
    expect(fs.existsSync(path.join(lower, 'new'))).toBe(false);
  });

  it('binds host dirs and files, read-only when asked, and tmpfs', async () => {
    const data = fs.mkdtempSync(path.join(base, 'data-'));
    const file = path.join(base, `hosts-${n}`);
    fs.writeFileSync(file, '127.0.0.1 localhost\n');
    const r = await run({
      binds: [
        { source: data, target: '/data' },
        { source: data, target: '/deep/ro/data', readOnly: true },
        { source: file, target: '/etc/hosts', readOnly: true },
      ],
      tmpfs: [{ target: '/scratch', sizeBytes: 1 << 20 }],
      command: [
        'sh',
        '-c',
        'echo rw > /data/written; touch /deep/ro/data/x 2>&1; cat /etc/hosts; echo x >> /etc/hosts 2>&1; ' +
          'echo s > /scratch/s && grep " /scratch " /proc/mounts',
      ],
    });
    expect(fs.readFileSync(path.join(data, 'written'), 'utf8')).toBe('rw\n');
    expect(fs.existsSync(path.join(data, 'x'))).toBe(false);
    expect(r.out).toContain("touch: /deep/ro/data/x: Read-only file system");
    expect(r.out).toContain('127.0.0.1 localhost\n');
    expect(r.err).toMatch(/can't create \/etc\/hosts: Read-only file system/);
    expect(r.out).toMatch(/^tmpfs \/scratch tmpfs rw,nosuid,nodev,relatime,size=1024k\b/m);
  });

  it('never follows a symlink in the rootfs out of it when creating a mount point', async () => {
    const hostDir = fs.mkdtempSync(path.join(base, 'outside-'));
    const fsSpec = rootfs();
    fs.symlinkSync(hostDir, path.join(fsSpec.upper, 'abs'));
    fs.symlinkSync(`../../../../../../../..${hostDir}`, path.join(fsSpec.upper, 'rel'));
    const data = fs.mkdtempSync(path.join(base, 'data-'));
    const c = await launch({
      rootfs: fsSpec,
      binds: [
        { source: data, target: '/abs/sub' },
        { source: data, target: '/rel/sub2' },
      ],
      env: { PATH: '/bin' },
      command: ['true'],
    });
    inits.push(c.pid);
    await c.go();
    expect(await c.wait()).toMatchObject({ kind: 'exited', code: 0 });
    expect(fs.readdirSync(hostDir)).toEqual([]);
    // Created where the container sees them: under the rootfs, i.e. in the upper dir.
    expect(fs.statSync(path.join(fsSpec.upper, hostDir, 'sub')).isDirectory()).toBe(true);
    expect(fs.statSync(path.join(fsSpec.upper, hostDir, 'sub2')).isDirectory()).toBe(true);
  });

  it('sets the hostname and exactly the environment given', async () => {
    const r = await run({ hostname: 'web-1', env: { PATH: '/bin', A: 'x y', EMPTY: '' }, command: ['env'] });
    expect(r.out.trim().split('\n').sort()).toEqual(['A=x y', 'EMPTY=', 'PATH=/bin']);
    expect((await run({ hostname: 'web-1', command: ['hostname'] })).out).toBe('web-1\n');
  });

  it('runs as a non-root user without capabilities, who cannot read root-only files', async () => {
    const r = await run({
      user: { uid: 1000, gid: 1000, groups: [50] },
      command: ['sh', '-c', 'id; cat /secret; grep -E "^Cap(Eff|Prm)" /proc/self/status'],
    });
    expect(r.out).toContain('uid=1000(app) gid=1000(app) groups=50(staff)');
    expect(r.err).toContain('cat: can\'t open \'/secret\': Permission denied');
    expect(r.out).toContain('CapEff:\t0000000000000000');
    expect(r.out).toContain('CapPrm:\t0000000000000000');
  });

  it("keeps Docker's default capabilities, with no_new_privs", async () => {
    const r = await run({ command: ['cat', '/proc/self/status'] });
    const field = (name: string) => BigInt(`0x${new RegExp(`^${name}:\\s*(\\w+)`, 'm').exec(r.out)![1]}`);
    const docker = capabilityMask(DOCKER_DEFAULT_CAPABILITIES);
    expect(field('CapEff')).toBe(docker);
    expect(field('CapPrm')).toBe(docker);
    expect(field('CapBnd')).toBe(docker);
    expect(field('CapInh')).toBe(0n);
    expect(field('CapAmb')).toBe(0n);
    expect(r.out).toMatch(/^NoNewPrivs:\s*1$/m);
  });

  it('gives a new network namespace with only lo, up', async () => {
    const r = await run({ command: ['sh', '-c', 'ls /sys/class/net; cat /sys/class/net/lo/operstate; ping -c1 -W1 127.0.0.1 >/dev/null && echo ping'] });
    expect(r.out.split('\n').slice(0, 1)).toEqual(['lo']);
    expect(r.out).toMatch(/^(unknown|up)\nping\n$/m);
  });

  it('mounts /proc, /dev and a read-only /sys, and masks what Docker masks', async () => {
    const r = await run({
      command: [
        'sh',
        '-c',
        'ls /dev | tr "\\n" " "; echo; readlink /dev/ptmx; readlink /dev/fd; echo x > /dev/null && echo null-ok; ' +
          'touch /sys/x 2>&1; echo 1 > /proc/sys/kernel/domainname 2>&1; cat /proc/keys | wc -c; ls /sys/firmware | wc -l',
      ],
    });
    const [devs, ...rest] = r.out.split('\n');
    expect(devs!.trim().split(' ').sort()).toEqual(
      expect.arrayContaining(['fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']),
    );
    const text = rest.join('\n');
    expect(text).toContain('pts/ptmx\n/proc/self/fd\nnull-ok\n');
    expect(text).toContain('touch: /sys/x: Read-only file system');
    expect(r.err).toMatch(/domainname: Read-only file system/);
    expect(text).toMatch(/\n0\n0\n$/);
  });

  it('passes SIGTERM on to the command, so a stop takes milliseconds', async () => {
    const c = await start({ command: ['sh', '-c', 'trap "echo got TERM; exit 0" TERM; echo ready; sleep 1000 & wait'] });
    await c.go();
    await eventually(() => c.out().includes('ready'));
    const t0 = performance.now();
    c.kill('SIGTERM');
    const status = await c.wait();
    const ms = performance.now() - t0;
    expect(status).toEqual({ kind: 'exited', code: 0, oom: false });
    expect(c.out()).toBe('ready\ngot TERM\n');
    expect(ms).toBeLessThan(500);
  });

  it('reaps orphaned zombies', async () => {
    const r = await run({
      command: ['sh', '-c', 'for i in 1 2 3 4 5; do (sleep 0.05 &) ; done; sleep 0.4; cat /proc/[0-9]*/stat | cut -d" " -f2,3'],
    });
    const states = r.out.trim().split('\n');
    expect(states.length).toBeGreaterThan(2);
    expect(states.filter((s) => s.endsWith(' Z'))).toEqual([]);
  });

  it('reports a missing command like Docker, with 127; a non-executable one with 126', async () => {
    const c = await start({ command: ['nodee'] });
    await expect(c.go()).rejects.toThrow('exec "nodee": No such file or directory');
    expect(await c.wait()).toEqual({ kind: 'exited', code: 127, oom: false });

    const d = await start({ command: ['/not-executable'] });
    await expect(d.go()).rejects.toThrow('exec "/not-executable": Permission denied');
    expect(await d.wait()).toMatchObject({ kind: 'exited', code: 126 });
  });

  it('reports a setup failure by name and leaves nothing', async () => {
    const c = await start({ binds: [{ source: path.join(base, 'missing'), target: '/x' }], command: ['true'] });
    await expect(c.go()).rejects.toThrow(`bind source ${path.join(base, 'missing')}: No such file or directory`);
    expect(await c.wait()).toMatchObject({ kind: 'exited', code: 125 });
  });

  it('kills the container when the caller goes away before go', async () => {
    const argv = runArgv({ rootfs: rootfs(), command: ['sleep', '100'] }, { syncFd: SYNC_FD });
    const child = spawn(...hafenRunCommand(argv), { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
    const sync = child.stdio[SYNC_FD] as Socket;
    const pid = await new Promise<number>((resolve) => sync.once('data', (b: Buffer) => resolve(Number(/^pid (\d+)/.exec(b.toString())![1]))));
    inits.push(pid);
    sync.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(125);
    expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
  });

  it('runs commands inside a running container with exec', async () => {
    const c = await start({ hostname: 'box', command: ['sleep', '100'] });
    await c.go();
    const e = execIn(c.pid, { command: ['sh', '-c', 'hostname; cat /proc/1/comm; id -u; pwd; echo $FOO; exit 5'], env: { FOO: 'bar', PATH: '/bin' }, user: { uid: 1000, gid: 1000 }, cwd: '/tmp' }, { stdio: 'pipe' });
    let out = '';
    e.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    expect(await e.wait()).toEqual({ kind: 'exited', code: 5, oom: false });
    expect(out).toBe('box\nhafen-init\n1000\n/tmp\nbar\n');

    const missing = execIn(c.pid, { command: ['nope'], env: { PATH: '/bin' } }, { stdio: 'pipe' });
    let err = '';
    missing.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    expect(await missing.wait()).toMatchObject({ code: 127 });
    expect(err).toContain('exec "nope": No such file or directory');
    const tty = execIn(c.pid, { command: ['sh', '-c', 'tty; test -t 0 && echo interactive'], env: { PATH: '/bin' }, tty: true }, { stdio: 'pipe' });
    let ttyOut = '';
    tty.stdout?.on('data', (b: Buffer) => (ttyOut += b.toString()));
    expect(await tty.wait()).toMatchObject({ code: 0 });
    expect(ttyOut.replaceAll('\r', '')).toMatch(/^\/dev\/pts\/\d+\ninteractive\n$/);
    c.kill('SIGKILL');
    await c.wait();

    // A pid that is not (or no longer) a container init is refused, not entered.
    const stray = execIn(process.pid, { command: ['true'] }, { stdio: 'pipe' });
    let strayErr = '';
    stray.stderr?.on('data', (b: Buffer) => (strayErr += b.toString()));
    expect(await stray.wait()).toMatchObject({ code: 125 });
    expect(strayErr).toContain(`process ${process.pid} is not a running container's init`);
  });

  it('writes timestamped log lines and rotates the file past its size cap', async () => {
    const file = path.join(base, `log-${n}.log`);
    const c = await launch({
      rootfs: rootfs(),
      env: { PATH: '/bin' },
      log: { file },
      command: ['sh', '-c', 'echo out1; echo err1 >&2; printf partial'],
    });
    inits.push(c.pid);
    await c.go();
    await c.wait();
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const ts = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z';
    expect(lines.find((l) => l.endsWith('out1'))).toMatch(new RegExp(`^${ts} stdout out1$`));
    expect(lines.find((l) => l.endsWith('err1'))).toMatch(new RegExp(`^${ts} stderr err1$`));
    expect(lines.find((l) => l.endsWith('partial'))).toMatch(new RegExp(`^${ts} stdout partial$`));

    const rotated = path.join(base, `log-${n}-rot.log`);
    const d = await launch({
      rootfs: rootfs(),
      env: { PATH: '/bin' },
      log: { file: rotated, maxBytes: 400 },
      command: ['sh', '-c', 'for i in $(seq 1 20); do echo line $i; done'],
    });
    inits.push(d.pid);
    await d.go();
    await d.wait();
    expect(fs.statSync(rotated).size).toBeLessThanOrEqual(400);
    expect(fs.statSync(`${rotated}.1`).size).toBeLessThanOrEqual(400);
    expect(fs.readFileSync(rotated, 'utf8').trim().split('\n').at(-1)).toMatch(/ stdout line 20$/);
  });

  /** Starts a container from a stand-in supervisor process (which then hangs), returns both pids. */
  async function startFromSupervisor(spec: LaunchSpec): Promise<{ supervisor: ReturnType<typeof spawn>; pid: number }> {
    const argv = runArgv(spec, { syncFd: SYNC_FD });
    const script = `
      const { spawn } = require('node:child_process');
      const [detached, bin, ...argv] = JSON.parse(process.argv[1]);
      const c = spawn(bin, argv, { detached, stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
      c.stdio[3].on('data', (b) => {
        const s = b.toString();
        const m = /^pid (\\d+)/m.exec(s);
        if (m) { globalThis.pid = m[1]; c.stdio[3].write('go\\n'); }
        if (/^started/m.test(s)) console.log(globalThis.pid);
      });
      setInterval(() => {}, 1000);`;
    const supervisor = spawn(process.execPath, ['-e', script, JSON.stringify([Boolean(spec.detach), ...hafenRunCommand(argv).flat()])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve) => supervisor.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))));
    inits.push(pid);
    return { supervisor, pid };
  }

  it('keeps a detached container running after its launcher is SIGKILLed, and writes its status file', async () => {
    const statusFile = path.join(base, `status-${n}`);
    const { supervisor, pid } = await startFromSupervisor({
      rootfs: rootfs(),
      detach: { statusFile },
      command: ['sh', '-c', 'sleep 0.5; exit 7'],
    });
    supervisor.kill('SIGKILL');
    await new Promise((r) => supervisor.on('close', r));
    expect(alive(pid)).toBe(true);
    await eventually(() => fs.existsSync(statusFile));
    expect(fs.readFileSync(statusFile, 'utf8')).toBe('exited 7\n');
    await eventually(() => !alive(pid));
  });

  it('ends an attached container with the process that started it', async () => {
    const { supervisor, pid } = await startFromSupervisor({ rootfs: rootfs(), command: ['sleep', '100'] });
    supervisor.kill('SIGKILL');
    // Orphaned by the SIGKILL, it is reaped by the host's init, whenever that gets to it (seconds
    // under qemu-user on a busy machine: launch-arm64.test.ts runs this file too).
    await eventually(() => !alive(pid), 10_000);
  });

  it('gives the command a pty when asked', async () => {
    const r = await run({ tty: true, command: ['sh', '-c', 'tty; test -t 0 && test -t 1 && echo interactive'] });
    expect(r.out.replaceAll('\r', '')).toBe('/dev/pts/0\ninteractive\n');
  });

  it('runs a host-image container: host system dirs read-only, host symlinks recreated', async () => {
    const empty = fs.mkdtempSync(path.join(base, 'scratch-'));
    const dir = path.join(base, `c${++n}`);
    for (const d of ['upper', 'work']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    const hostDirs = ['/usr', '/bin', '/lib', '/lib64', '/etc/alternatives'].filter((d) => fs.existsSync(d));
    const c = await launch(
      {
        rootfs: { kind: 'overlay', lower: [empty], upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), target: path.join(dir, 'rootfs') },
        hostReadOnly: hostDirs,
        env: { PATH: '/usr/bin:/bin' },
        command: ['/bin/sh', '-c', 'readlink /bin; touch /usr/x 2>/dev/null || echo ro; echo ok'],
      },
      { stdio: 'pipe' },
    );
    inits.push(c.pid);
    let out = '';
    c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    await c.go();
    expect(await c.wait()).toMatchObject({ kind: 'exited', code: 0 });
    const binLink = fs.lstatSync('/bin').isSymbolicLink() ? `${fs.readlinkSync('/bin')}\n` : '';
    expect(out).toBe(`${binLink}ro\nok\n`);
  });
});

describe.skipIf(needs || unmet({ name: 'cgroup v1 memory controller', check: () => (fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs') ? undefined : 'absent') }))(
  'hafen-run: cgroups',
  () => {
    let base: string;
    let cgroup: string;
    beforeAll(() => {
      base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-launch-cg-'));
      makeBusyboxRootfs(path.join(base, 'lower'));
      cgroup = `/sys/fs/cgroup/memory/hafen-test-${process.pid}`;
      fs.mkdirSync(cgroup);
    });
    afterAll(async () => {
      // The killed container's tasks leave the cgroup a moment after wait() returns: retry EBUSY.
      for (let i = 0; fs.existsSync(cgroup); i++) {
        try {
          fs.rmdirSync(cgroup);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EBUSY' || i >= 50) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      fs.rmSync(base, { recursive: true, force: true });
    });

    it('joins the cgroup first, and reports an OOM kill', async () => {
      fs.writeFileSync(path.join(cgroup, 'memory.limit_in_bytes'), String(16 << 20));
      const spec = (name: string, command: string[]): LaunchSpec => {
        for (const d of ['upper', 'work']) fs.mkdirSync(path.join(base, name, d), { recursive: true });
        return {
          rootfs: { kind: 'overlay', lower: [path.join(base, 'lower')], upper: path.join(base, name, 'upper'), work: path.join(base, name, 'work'), target: path.join(base, name, 'rootfs') },
          cgroups: [cgroup],
          env: { PATH: '/bin' },
          command,
        };
      };
      const c = await launch(spec('a', ['sh', '-c', 'grep memory /proc/self/cgroup; exec sleep 100']), { stdio: 'pipe' });
      let out = '';
      c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
      await c.go();
      await eventually(() => out.includes('memory'));
      expect(out).toMatch(/:memory:\/$/m); // its own cgroup namespace
      // init and the command (now sleep): the whole container is accounted
      const procs = () => fs.readFileSync(path.join(cgroup, 'cgroup.procs'), 'utf8').trim().split('\n').sort().join(' ');
      const container = () => [String(c.pid), fs.readFileSync(`/proc/${c.pid}/task/${c.pid}/children`, 'utf8').trim()].sort().join(' ');
      await eventually(() => procs() === container());
      c.kill('SIGKILL');
      expect(await c.wait()).toEqual({ kind: 'signaled', signal: 9, oom: false });

      const hog = await launch(spec('b', ['sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived']), { stdio: 'pipe' });
      await hog.go();
      expect(await hog.wait()).toEqual({ kind: 'signaled', signal: 9, oom: true });
    });
  },
);

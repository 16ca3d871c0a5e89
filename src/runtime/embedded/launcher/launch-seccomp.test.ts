/**
 * hafen-run installs the seccomp filter it is handed on --seccomp-fd, for the command of a
 * container and for an exec into it, and the kernel enforces it (checked with a static probe).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { compileSeccomp, nativeSeccompArch } from '../../../seccomp/compile.js';
import { DEFAULT_SECCOMP_PROFILE } from '../../../seccomp/default-profile.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../../../testing/requirements.js';
import { buildSeccompProbe, parseProbe, requireProbeCompiler } from '../../../testing/seccomp-probe.js';
import { makeBusyboxRootfs } from './busybox-rootfs.js';
import { DOCKER_DEFAULT_CAPABILITIES } from './capabilities.js';
import { exitCodeOf } from './exit-status.js';
import { launcherWrapper } from './hafen-run-path.js';
import { execIn, launch } from './launch.js';
import type { LaunchSpec } from './spec.js';

const needs = unmet(requireRoot(), requireOverlay(), requireCommand('busybox'), requireProbeCompiler());
const PROBES = ['keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'userfaultfd', 'mount', 'unshare-user', 'getpid'];

describe.skipIf(needs)('hafen-run --seccomp-fd', () => {
  let base: string;
  let lower: string;
  let n = 0;
  const filter = compileSeccomp(DEFAULT_SECCOMP_PROFILE, { arch: nativeSeccompArch()!, caps: DOCKER_DEFAULT_CAPABILITIES, kernel: os.release() });

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-seccomp-'));
    lower = path.join(base, 'lower');
    makeBusyboxRootfs(lower);
    buildSeccompProbe(path.join(lower, 'bin', 'seccomp-probe'));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  /** The arm64 launcher under qemu-user (launch-arm64.test.ts) installs no filter: qemu refuses
   * PR_SET_SECCOMP (EINVAL), for a guest's filter would judge qemu's own host syscalls. */
  const needsKernelSeccomp = (ctx: TestContext): void => ctx.skip(launcherWrapper() !== undefined, 'qemu-user does not apply a guest seccomp filter (PR_SET_SECCOMP: EINVAL)');

  function rootfs(): LaunchSpec['rootfs'] {
    const dir = path.join(base, `c${++n}`);
    for (const d of ['upper', 'work']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    return { kind: 'overlay', lower: [lower], upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), target: path.join(dir, 'rootfs') };
  }

  async function run(command: string[], seccompFilter?: Buffer): Promise<{ code: number; out: string }> {
    const c = await launch({ rootfs: rootfs(), env: { PATH: '/bin' }, command, ...(seccompFilter ? { seccompFilter } : {}) }, { stdio: 'pipe' });
    let out = '';
    c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    await c.go();
    return { code: exitCodeOf(await c.wait()), out };
  }

  it('refuses keyctl, bpf, perf_event_open, userfaultfd, mount and user namespaces with EPERM; getpid works', async (ctx) => {
    needsKernelSeccomp(ctx);
    const { code, out } = await run(['sh', '-c', `seccomp-probe ${PROBES.join(' ')}; grep ^Seccomp: /proc/self/status; unshare -U true; echo unshare=$?`], filter);
    expect(code).toBe(0);
    expect(parseProbe(out)).toEqual({ ...Object.fromEntries(PROBES.map((p) => [p, 'EPERM'])), getpid: 'ok', unshare: '1' });
    expect(out).toMatch(/^Seccomp:\s+2$/m);
  });

  it('without a filter the same calls get through (so EPERM above came from the filter)', async () => {
    const { out } = await run(['sh', '-c', `seccomp-probe ${PROBES.join(' ')}; grep ^Seccomp: /proc/self/status`]);
    const got = parseProbe(out);
    for (const p of PROBES) expect(got[p], p).not.toBe('EPERM');
    expect(out).toMatch(/^Seccomp:\s+0$/m);
  });

  it('applies the argument filters in the kernel: clone flags, socket families, personality values', async (ctx) => {
    needsKernelSeccomp(ctx);
    const probes = 'clone-plain clone-user socket-unix socket-vsock personality-query personality-norandom';
    const filtered = parseProbe((await run(['seccomp-probe', ...probes.split(' ')], filter)).out);
    expect(filtered).toEqual({ 'clone-plain': 'ok', 'clone-user': 'EPERM', 'socket-unix': 'ok', 'socket-vsock': 'EPERM', 'personality-query': 'ok', 'personality-norandom': 'EPERM' });
    const free = parseProbe((await run(['seccomp-probe', ...probes.split(' ')])).out);
    expect(free).toMatchObject({ 'clone-plain': 'ok', 'clone-user': 'ok', 'socket-unix': 'ok', 'personality-query': 'ok', 'personality-norandom': 'ok' });
    expect(free['socket-vsock']).not.toBe('EPERM');
  });

  it('filters an exec into the container too', async (ctx) => {
    needsKernelSeccomp(ctx);
    const c = await launch({ rootfs: rootfs(), env: { PATH: '/bin' }, command: ['sleep', '30'] }, { stdio: 'ignore' });
    try {
      await c.go();
      const e = execIn(c.pid, { command: ['sh', '-c', 'seccomp-probe keyctl getpid; grep ^Seccomp: /proc/self/status'], env: { PATH: '/bin' }, seccompFilter: filter }, { stdio: 'pipe' });
      let out = '';
      e.stdout?.on('data', (b: Buffer) => (out += b.toString()));
      expect(exitCodeOf(await e.wait())).toBe(0);
      expect(parseProbe(out)).toMatchObject({ keyctl: 'EPERM', getpid: 'ok' });
      expect(out).toMatch(/^Seccomp:\s+2$/m);
    } finally {
      c.kill('SIGKILL');
      await c.wait();
    }
  });

  it("confines the container's init too once the command runs: only CAP_KILL and the same filter", async (ctx) => {
    needsKernelSeccomp(ctx);
    const c = await launch({ rootfs: rootfs(), env: { PATH: '/bin' }, command: ['sleep', '30'], capabilities: [...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_PTRACE'], seccompFilter: filter }, { stdio: 'ignore' });
    try {
      await c.go();
      const status = fs.readFileSync(`/proc/${c.pid}/status`, 'utf8');
      expect(status).toMatch(/^Seccomp:\s+2$/m);
      expect(status).toMatch(/^CapEff:\s+0000000000000020$/m);
      expect(status).toMatch(/^CapBnd:\s+0000000000000020$/m);
      expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
      expect(fs.readFileSync(`/proc/${c.pid}/comm`, 'utf8')).toBe('hafen-init\n');
    } finally {
      c.kill('SIGKILL');
      await c.wait();
    }
  });

  it('refuses a filter that is not whole instructions, before anything starts', async () => {
    await expect(run(['true'], Buffer.alloc(12))).rejects.toThrow(/bad seccomp filter of 12 bytes/);
  });
});

/**
 * Secrets stay secret and names stay within their limits, through the built CLI (issue 13):
 * - an environment value reaches the container and `stack exec -e` but no process's command line
 *   (every /proc/PID/cmdline and `ps -eo args` are scanned while they run);
 * - a value of 120 KiB works; one of 200 KiB is refused by `up` (exit 2) naming the variable and the
 *   limit, never the value, before anything is made, on the embedded runtime and on Docker;
 * - an env_file that is a shadow file is refused by file:line without its lines;
 * - a 251-character service name and a 300-character -p are refused (exit 2) naming the limit, and
 *   leave nothing; a project left by an older hafen with a too-long name is taken down by -p alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { importBusyboxImage } from '../src/runtime/docker/test-images.js';
import { Ledger } from '../src/runtime/embedded/ledger/ledger.js';
import { projectDir } from '../src/runtime/embedded/state/index.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { cliPath, stack, type CliResult } from './cli.js';
import { runtimeNamed } from './conformance/runtimes.js';
import { stackLeftovers } from './stack-leftovers.js';

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
const POOL = '10.248.0.0/16:24';

/** Every command line on the host holding `needle`, except those of `skip` (the CLI a test itself gave the value). */
function commandLinesWith(needle: string, skip: number[] = []): string[] {
  const hits: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    if (skip.includes(Number(pid))) continue;
    try {
      const line = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (line.includes(needle)) hits.push(`${pid}: ${line.replaceAll('\0', ' ').slice(0, 120)}`);
    } catch {
      // gone meanwhile
    }
  }
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout ?? '';
  for (const line of ps.split('\n')) {
    const pid = Number(line.trim().split(/\s+/)[0]);
    if (line.includes(needle) && !skip.includes(pid)) hits.push(`ps: ${line.slice(0, 120)}`);
  }
  return hits;
}

async function eventually<T>(fn: () => T, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A stack whose service prints the md5 and length of DB_PASSWORD and BIG, then waits. */
const SERVICE = [
  'services:',
  '  web:',
  '    image: host',
  '    environment: {DB_PASSWORD: "${DB_PASSWORD}"}',
  '    env_file: [./big.env]',
  // Hashes and lengths only: a value printed would be in the logs by the test's own doing.
  `    command: ["sh", "-c", ${JSON.stringify('echo "pw $$(printf %s "$$DB_PASSWORD" | md5sum | cut -c1-32) big $${#BIG}"; echo ready; trap "exit 0" TERM; sleep 600 & wait')}]`,
  '',
].join('\n');

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('ip'), requireCommand('nsenter'), requireCommand('ps')))('secrets and names on the embedded runtime', () => {
  let root: string;
  let dir: string;
  const projects: string[] = [];
  const cliEnv = (env: Record<string, string>) => ({ ...process.env, HAFEN_ROOT: root, HAFEN_SUBNET_POOL: POOL, NO_COLOR: '1', ...env });
  const run = (project: string, args: string[], env: Record<string, string> = {}): CliResult => {
    return stack(['-p', project, '--progress', 'plain', ...args], { cwd: dir, env: { HAFEN_ROOT: root, HAFEN_SUBNET_POOL: POOL, ...env } });
  };
  const newProject = (): string => {
    const p = `sn${randomBytes(3).toString('hex')}`;
    projects.push(p);
    return p;
  };

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-secrets-names-'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-secrets-names-stack-'));
  });
  afterEach(() => {
    for (const p of projects.splice(0)) {
      run(p, ['down', '-v']);
      expect(stackLeftovers(p, root)).toEqual([]);
    }
  }, 120_000);
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('gives the container its secret and a 120 KiB value, and stack exec -e its own, with none on any command line', async () => {
    const p = newProject();
    const secret = `pw-${randomBytes(16).toString('hex')}`;
    const big = 'b'.repeat(120 * 1024);
    fs.writeFileSync(path.join(dir, 'stack.yaml'), SERVICE);
    fs.writeFileSync(path.join(dir, 'big.env'), `BIG=${big}\n`, { mode: 0o600 });
    const up = run(p, ['up', '-d'], { DB_PASSWORD: secret });
    expect(up.code, up.stderr).toBe(0);
    const logs = await eventually(() => run(p, ['logs', '--no-log-prefix']).stdout, (out) => out.includes('ready'));
    expect(logs).toContain(`pw ${md5(secret)} big ${big.length}`);
    expect(commandLinesWith(secret)).toEqual([]);

    // stack exec -e: the user typed the value on the CLI's own command line; no process of hafen's has it.
    const other = `tok-${randomBytes(16).toString('hex')}`;
    const exec = spawn(process.execPath, [cliPath, '-p', p, 'exec', '-T', '-e', `TOKEN=${other}`, 'web', 'sh', '-c', 'printf %s "$TOKEN" | md5sum | cut -c1-32; sleep 2'], {
      cwd: dir,
      env: cliEnv({}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    exec.stdout.on('data', (b: Buffer) => (out += b.toString()));
    exec.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = new Promise<number | null>((resolve) => exec.on('close', resolve));
    await eventually(() => out, (o) => o.includes(md5(other)), 15_000);
    expect(commandLinesWith(other, [exec.pid!])).toEqual([]);
    expect(await code, err).toBe(0);
    expect(out.trim()).toBe(md5(other));
  }, 120_000);

  it('refuses a 200 KiB value at up naming the variable and the limit, never the value, and makes nothing', () => {
    const p = newProject();
    fs.writeFileSync(path.join(dir, 'stack.yaml'), SERVICE);
    fs.writeFileSync(path.join(dir, 'big.env'), `BIG=${'z'.repeat(200 * 1024)}\n`, { mode: 0o600 });
    const up = run(p, ['up', '-d'], { DB_PASSWORD: 'x' });
    expect(up.code).toBe(2);
    expect(up.stderr.trim()).toMatch(/^error: .*stack\.yaml:\d+:\d+ services\.web\.environment: the variable BIG is 204805 bytes with its name, more than the 131072 \(128 KiB\) Linux takes for one environment entry \(MAX_ARG_STRLEN\); pass large data as a file instead/);
    expect(up.stderr).not.toContain('zzzz');
    expect(up.stdout).not.toContain('zzzz');
    expect(fs.existsSync(projectDir(root, p))).toBe(false);
  });

  it('refuses an env_file that is a shadow file by file:line, without a word of its lines', () => {
    const p = newProject();
    const hash = `$6$${randomBytes(4).toString('hex')}$${randomBytes(20).toString('hex')}`;
    fs.writeFileSync(path.join(dir, 'shadow'), `root:${hash}:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'shadow.yaml'), 'services:\n  web:\n    image: host\n    env_file: ./shadow\n');
    for (const command of [['config'], ['up', '-d']]) {
      const r = run(p, ['-f', 'shadow.yaml', ...command]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('shadow:1:5 expected "=" after the variable name (a line is NAME=VALUE); the line is not shown');
      expect(r.stderr).toContain('shadow:2:4 expected "=" after the variable name');
      for (const piece of [hash.slice(0, 12), '19000', '99999', 'root:', 'bin:']) expect(r.stderr + r.stdout).not.toContain(piece);
    }
    expect(fs.existsSync(projectDir(root, p))).toBe(false);
  });

  it('refuses a 251-character service name and a 300-character -p (exit 2, the limit named) and leaves nothing', () => {
    const p = newProject();
    const service = 's'.repeat(251);
    fs.writeFileSync(path.join(dir, 'long.yaml'), `services:\n  ${service}:\n    image: host\n    command: [sleep, "60"]\n`);
    const up = run(p, ['-f', 'long.yaml', 'up', '-d']);
    expect(up.code).toBe(2);
    expect(up.stderr).toContain(`long.yaml:2:3 services.${service}: the name is 251 characters long, more than 63: `);
    expect(fs.existsSync(projectDir(root, p))).toBe(false);
    expect(stackLeftovers(p, root)).toEqual([]);

    fs.writeFileSync(path.join(dir, 'short.yaml'), 'services:\n  web:\n    image: host\n    command: [sleep, "60"]\n');
    const long = 'p'.repeat(300);
    const byFlag = spawnSync(process.execPath, [cliPath, '-p', long, '-f', 'short.yaml', 'up', '-d'], { cwd: dir, env: cliEnv({}), encoding: 'utf8', timeout: 60_000 });
    expect(byFlag.status).toBe(2);
    expect(byFlag.stderr.trim()).toBe(`error: -p ${'p'.repeat(20)}…: the project name is 300 characters long, more than 63 (it begins every container, network and volume name and names the project's state folder)`);
    expect(fs.existsSync(path.join(root, 'projects')) ? fs.readdirSync(path.join(root, 'projects')) : []).toEqual([]);
    expect(stackLeftovers(long.slice(0, 250), root)).toEqual([]);
  });

  it('runs and takes down a stack whose names are all at their limits, under a long HAFEN_ROOT', async () => {
    // Every derived name at once: <root>/projects/<p>/supervisor.sock past sun_path's 107 bytes, the
    // container's upper dir past fsconfig's 255, netns hafen.<p>.<p>-<s>-1, <p>_<volume>, the network's record.
    const longRoot = path.join(root, 'r'.repeat(100));
    const p = `lim${randomBytes(3).toString('hex')}${'q'.repeat(54)}`;
    const s = 's'.repeat(63);
    const [n, v] = ['n'.repeat(128), 'v'.repeat(128)];
    fs.writeFileSync(
      path.join(dir, 'limits.yaml'),
      `services:\n  ${s}:\n    image: host\n    command: [sh, -c, 'echo kept > /data/x; echo "host $$(hostname)"; sleep 600']\n    networks: [${n}]\n    volumes: ['${v}:/data']\nnetworks:\n  ${n}: {}\nvolumes:\n  ${v}: {}\n`,
    );
    const at = (args: string[]) => {
      const r = spawnSync(process.execPath, [cliPath, '-p', p, '-f', 'limits.yaml', ...args], { cwd: dir, env: cliEnv({ HAFEN_ROOT: longRoot }), encoding: 'utf8', timeout: 60_000 });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    try {
      const up = at(['up', '-d']);
      expect(up.code, up.stderr.slice(-2000)).toBe(0);
      // The kernel's host name holds 64 bytes: a 63-character service is named by itself.
      const logs = await eventually(() => at(['logs', '--no-log-prefix']).stdout, (out) => out.includes('host '));
      expect(logs).toContain(`host ${s}`);
      expect(at(['ps']).stdout).toContain(`${p}-${s}-1`);
    } finally {
      const down = at(['down', '-v']);
      expect(down.code, down.stderr.slice(-2000)).toBe(0);
      expect(stackLeftovers(p, longRoot)).toEqual([]);
      expect(fs.existsSync(projectDir(longRoot, p))).toBe(false);
    }
  }, 120_000);

  it('takes down, by -p alone, a project an older hafen left with a name now too long', () => {
    // What hafen before the limits left: a 100-character project whose ledger names a container
    // folder the kernel refused to make (its name over 255 bytes), so `down` failed forever.
    const p = `old${randomBytes(3).toString('hex')}${'o'.repeat(91)}`;
    projects.push(p);
    const state = projectDir(root, p);
    fs.mkdirSync(state, { recursive: true, mode: 0o700 });
    const ledger = new Ledger(path.join(state, 'ledger.jsonl'));
    ledger.add({ kind: 'dir', path: path.join(state, 'containers', `${p}-${'s'.repeat(251)}-1`) });
    fs.mkdirSync(path.join(state, 'containers', `${p}-web-1`), { recursive: true });
    ledger.add({ kind: 'dir', path: path.join(state, 'containers', `${p}-web-1`) });
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-no-stack-'));
    try {
      const down = spawnSync(process.execPath, [cliPath, '-p', p, 'down', '-v'], { cwd: elsewhere, env: cliEnv({}), encoding: 'utf8', timeout: 60_000 });
      expect(down.status, down.stderr).toBe(0);
      expect(down.stderr).toContain(`${p} is down`);
      expect(fs.existsSync(state)).toBe(false);
      // With a stack file there, the file is not used for a name it cannot go with: said so, and done.
      fs.mkdirSync(state, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(elsewhere, 'stack.yaml'), 'services:\n  web: {image: host}\n');
      const again = spawnSync(process.execPath, [cliPath, '-p', p, 'down', '-v'], { cwd: elsewhere, env: cliEnv({}), encoding: 'utf8', timeout: 60_000 });
      expect(again.status, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/warning: the stack file cannot be used \(-p old\w+…: the project name is 100 characters long, more than 63 .*\); taking project old\w+ down by its name alone/);
      expect(fs.existsSync(state)).toBe(false);
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe.skipIf(unmet(...runtimeNamed('docker').requirements))('secrets on Docker', () => {
  let dir: string;
  let busybox: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-secrets-docker-'));
    busybox = await importBusyboxImage(new DockerRuntime().docker);
  }, 120_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a 200 KiB value at up, as dockerd would fail the container at start, naming the variable only', () => {
    const p = `snd${randomBytes(3).toString('hex')}`;
    fs.writeFileSync(path.join(dir, 'big.env'), `BIG=${'z'.repeat(200 * 1024)}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'stack.yaml'), `services:\n  web:\n    image: ${busybox}\n    env_file: [./big.env]\n    command: [sleep, "60"]\n`);
    const up = spawnSync(process.execPath, [cliPath, '-p', p, '--runtime', 'docker', 'up', '-d'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 });
    expect(up.status).toBe(2);
    expect(up.stderr).toMatch(/stack\.yaml:\d+:\d+ services\.web\.environment: the variable BIG is 204805 bytes with its name, more than the 131072 \(128 KiB\)/);
    expect(up.stderr).not.toContain('zzzz');
    const made = spawnSync('docker', ['ps', '-aq', '--filter', `label=io.hafen.project=${p}`], { encoding: 'utf8' }).stdout.trim();
    const networks = spawnSync('docker', ['network', 'ls', '-q', '--filter', `label=io.hafen.project=${p}`], { encoding: 'utf8' }).stdout.trim();
    expect([made, networks]).toEqual(['', '']);
  });
});

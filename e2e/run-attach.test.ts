/**
 * `stack run` attached as Compose's `run` is, on the embedded runtime (through its supervisor), on a
 * real dockerd, and as the rootless user: piped stdin reaches the command and its end ends it; -T
 * gives no terminal; under `script` (a real pty) a shell reads what is typed, `tty` names a /dev/pts,
 * the window size and a resize reach it, Ctrl-C goes to the container's process, and the CLI's
 * exit code is the shell's. Nothing is left: no container, process, helper or its socket folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, unmet } from '../src/testing/requirements.js';
import { rootlessCommand, rootlessUser } from '../src/testing/rootless-user.js';
import { cliPath, type CliResult } from './cli.js';
import { cliTargets, stackOn, type CliTarget } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';

const STACK = (image: string): string => `services:
  t:
    image: ${image}
    command: ["sh"]
  keep:
    image: ${image}
    command: ["sh"]
    tty: true
    stdin_open: true
`;

/** A child's output as it comes, and a way to wait for a piece of it. */
class Watched {
  text = '';
  readonly exited: Promise<number>;
  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (b: Buffer) => (this.text += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (this.text += b.toString()));
    this.exited = new Promise((resolve) => child.once('close', (code, signal) => resolve(code ?? (signal ? -1 : -2))));
  }
  async waitFor(pattern: RegExp, ms = 60_000): Promise<void> {
    const until = Date.now() + ms;
    while (!pattern.test(this.text)) {
      if (Date.now() > until) throw new Error(`no ${pattern} in:\n${this.text}`);
      if (this.child.exitCode !== null) throw new Error(`exited (${this.child.exitCode}) without ${pattern}:\n${this.text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  /** Ends it if still running; resolves with its exit code. */
  async end(ms = 90_000): Promise<number> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

for (const target of cliTargets('10.220.0.0/16:24', { rootless: true })) {
  const factory = runtimeNamed(target.name);
  describe.skipIf(unmet(...factory.requirements, requireCommand('script'), requireCommand('stty')))(`stack run attached on the ${target.name} runtime`, () => {
    let dir: string;
    let file: string;
    let tmp: string;
    const projects: string[] = [];
    const newProject = (): string => {
      const p = `ra${randomBytes(3).toString('hex')}`;
      projects.push(p);
      return p;
    };
    const cliArgs = (project: string, args: string[]): string[] => ['--runtime', target.runtime, '-f', file, '-p', project, '--progress', 'plain', ...args];
    /** The CLI's environment: the target's, and a temporary folder of the test's own (where the attach helper's socket folder goes). */
    const env = (): Record<string, string> => ({ ...target.env(), TMPDIR: tmp });

    /** `stack ...args` with `input` on a pipe as its stdin. */
    const piped = async (project: string, args: string[], input: string): Promise<CliResult> => {
      const w = new Watched(target.spawn(cliArgs(project, args), { cwd: dir, env: env() }));
      const out: string[] = [];
      w.child.stdout!.on('data', (b: Buffer) => out.push(b.toString()));
      w.child.stdin!.end(input);
      const code = await w.end();
      return { code, stdout: out.join(''), stderr: w.text };
    };

    /** `stack ...args` in a terminal of its own (`script`), 33 rows by 101 columns; the terminal's name is written to the returned path. */
    const inTerminal = (project: string, args: string[]): { w: Watched; ptyFile: string } => {
      const argv = ['--', cliPath, ...cliArgs(project, args)];
      const command = target.name === 'embedded-rootless' ? rootlessCommand(process.execPath, argv) : [process.execPath, ...argv];
      const ptyFile = path.join(dir, `pty-${project}`);
      const line = `tty > ${quote(ptyFile)}; stty rows 33 cols 101; exec ${command.map(quote).join(' ')}`;
      const childEnv = { ...process.env, ...(target.name === 'embedded-rootless' ? rootlessUser().env : {}), NO_COLOR: '1', ...env() };
      const child = spawn('script', ['-qfec', line, '/dev/null'], { cwd: dir, env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
      return { w: new Watched(child), ptyFile };
    };

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `hafen-run-attach-${target.name}-`));
      const image = await target.setup(dir);
      file = path.join(dir, 'stack.yaml');
      fs.writeFileSync(file, STACK(image));
      tmp = path.join(dir, 'tmp');
      fs.mkdirSync(tmp, { mode: 0o700 });
      target.handOver(dir);
    }, 180_000);
    afterEach(() => {
      for (const p of projects.splice(0)) {
        stackOn(target, dir, file, p, ['down', '-v', '-t', '1'], env());
        expect(target.leftovers(p), `leftovers of ${p}`).toEqual([]);
      }
      // The helper took its socket folder along (it is gone with the container).
      expect(fs.readdirSync(tmp)).toEqual([]);
    }, 120_000);
    afterAll(() => {
      const left = target.close(); // the rootless target's delegated cgroup
      fs.rmSync(dir, { recursive: true, force: true });
      expect(left, `left in ${target.name}'s cgroup`).toEqual([]);
    });

    it('gives piped stdin to the command: its data arrives and its end ends it (echo data | stack run --rm -T t cat)', async () => {
      const p = newProject();
      const r = await piped(p, ['run', '--rm', '-T', 't', 'cat'], 'data\n');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('data\n');
    }, 120_000);

    it('lets a command read a line from piped stdin; the exit code is the command\'s; -T gives no terminal', async () => {
      const p = newProject();
      const r = await piped(p, ['run', '--rm', '-T', 't', 'sh', '-c', 'read x; echo "got $x"; tty; exit 5'], 'hello\n');
      expect(r.code, r.stderr).toBe(5);
      expect(r.stdout).toBe('got hello\nnot a tty\n');
    }, 120_000);

    it('runs a shell in a terminal: it reads typed commands, has a /dev/pts terminal of the same size, follows a resize; its exit code is the CLI\'s', async () => {
      const p = newProject();
      const { w, ptyFile } = inTerminal(p, ['run', '--rm', '-e', 'PS1=ready> ', 't', 'sh']);
      try {
        await w.waitFor(/ready> /);
        // A typist's pause: dockerd 20.10 takes the size only once the container runs (no size at create before API 1.42), which a busy engine answers late.
        await new Promise((r) => setTimeout(r, target.runtime === 'docker' ? 1500 : 300));
        w.child.stdin!.write('tty; stty size; echo "sum-$((40+2))"\n');
        await w.waitFor(/sum-42/);
        expect(w.text).toMatch(/\/dev\/pts\/\d+\r*\n/); // Node's raw mode keeps ONLCR: \r\r\n on Docker
        expect(w.text).toMatch(/\b33 101\r*\n/);
        // Resize the CLI's terminal: the shell's follows.
        const pty = fs.readFileSync(ptyFile, 'utf8').trim();
        expect(pty).toMatch(/^\/dev\/pts\/\d+$/);
        // (The shell's line editing takes SIGWINCH for itself: the size is read by a command that runs meanwhile.)
        w.child.stdin!.write('echo slee""ping; sleep 3; echo "af""ter $(stty size)"\n');
        await w.waitFor(/\nsleeping/);
        const stty = spawn('stty', ['-F', pty, 'rows', '20', 'cols', '70'], { stdio: 'ignore' });
        await new Promise((r) => stty.once('close', r));
        await w.waitFor(/after \d+ \d+/);
        expect(w.text).toContain('after 20 70');
        w.child.stdin!.write('exit 7\n');
        expect(await w.end()).toBe(7);
      } finally {
        w.child.kill('SIGKILL');
      }
    }, 120_000);

    it('sends Ctrl-C in a terminal to the container\'s process, not to the CLI', async () => {
      const p = newProject();
      const { w } = inTerminal(p, ['run', '--rm', 't', 'sh', '-c', 'trap "echo got-int; exit 9" INT; echo waiting; while :; do sleep 0.1; done']);
      try {
        await w.waitFor(/waiting/);
        w.child.stdin!.write('\x03');
        await w.waitFor(/got-int/);
        expect(await w.end()).toBe(9);
      } finally {
        w.child.kill('SIGKILL');
      }
    }, 120_000);

    it('stops the one-off on Ctrl-C outside a terminal (SIGINT to the CLI), as before; --rm removes it', async () => {
      const p = newProject();
      const w = new Watched(target.spawn(cliArgs(p, ['run', '--rm', '-T', 't', 'sh', '-c', 'echo started; sleep 60']), { cwd: dir, env: env() }));
      try {
        await w.waitFor(/started/);
        const from = Date.now();
        w.child.kill('SIGINT');
        expect(await w.end()).not.toBe(0);
        expect(Date.now() - from).toBeLessThan(30_000); // not the 60 s of its sleep
        const ps = stackOn(target, dir, file, p, ['ps', '-a', '--json'], env());
        expect(JSON.parse(ps.stdout)).toEqual([]);
      } finally {
        w.child.kill('SIGKILL');
      }
    }, 120_000);

    it('keeps `up -d` of a service with tty and stdin_open running detached', async () => {
      const p = newProject();
      const up = stackOn(target, dir, file, p, ['up', '-d', 'keep'], env());
      expect(up.code, up.stderr).toBe(0);
      await new Promise((r) => setTimeout(r, 1000));
      const ps = stackOn(target, dir, file, p, ['ps', '--json'], env());
      expect((JSON.parse(ps.stdout) as { service: string; state: string }[]).find((c) => c.service === 'keep')?.state).toBe('running');
    }, 120_000);
  });
}

/**
 * Machine-readable output through the built CLI, on the embedded runtime and on Docker:
 * `stack events --json` followed in the background while a project with a healthcheck goes up, is
 * stopped and taken down (create, start, health_status, die, destroy, in that order, each line
 * JSON with `v: 1`), and the past ones in the plain form with `--since`/`--until`; and `--progress json` of
 * build, up, stop, start, restart, run, down and a failing command, whose stdout
 * and stderr hold JSON lines with `v: 1` and nothing else. Nothing is left after.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROGRESS_KINDS } from '../src/renderers/machine-lines.js';
import { unmet } from '../src/testing/requirements.js';
import { cliPath, stack as runStack, type CliResult } from './cli.js';
import { cliTargets, stackOn } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';

// 143 on SIGTERM: a stop that ends in 0 reads on Docker as a finished one-shot (see the report of issue 14).
const SLEEP = `trap 'exit 143' TERM; sleep 600 & wait`;

const STACK = (image: string) => `services:
  web:
    image: ${image}
    command: ["sh", "-c", "${SLEEP}"]
    environment: {UNSET: "\${HAFEN_EVENTS_TEST_UNSET}"}
    healthcheck: {test: ["CMD", "true"], interval: 1s, start_interval: 100ms, retries: 3}
  built:
    build: {context: ., dockerfile: Dockerfile}
    command: ["sh", "-c", "${SLEEP}"]
`;

/** Every line of a stream, parsed; fails naming the first line that is not a JSON object with v: 1. */
function jsonLines(text: string, what: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new Error(`${what}: not a JSON line: ${line}`);
      }
      expect(parsed, `${what}: ${line}`).toMatchObject({ v: 1 });
      return parsed as Record<string, unknown>;
    });
}

async function eventually<T>(what: string, fn: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const target of cliTargets('10.254.0.0/16:24')) {
  describe.skipIf(unmet(...runtimeNamed(target.name).requirements))(`machine output on the ${target.name} runtime`, () => {
    let dir: string;
    let file: string;
    const projects: string[] = [];
    const children: ChildProcess[] = [];

    const run = (project: string, args: string[]): CliResult => stackOn(target, dir, file, project, args);
    const newProject = (): string => {
      const p = `ev${randomBytes(3).toString('hex')}`;
      projects.push(p);
      return p;
    };

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `hafen-events-${target.name}-`));
      const image = await target.setup(dir);
      file = path.join(dir, 'stack.yaml');
      fs.writeFileSync(file, STACK(image));
      fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${image}\nRUN echo built > /built\n`);
    }, 120_000);
    afterEach(() => {
      for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
      for (const p of projects.splice(0)) {
        run(p, ['down', '-v']);
        if (target.name === 'docker') spawnSync('docker', ['rmi', '-f', `${p}-built`]);
        expect(target.leftovers(p), `leftovers of ${p}`).toEqual([]);
      }
    }, 120_000);
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('events --json: create, start, health_status, die, destroy of a service, in order, as JSON lines', async () => {
      const p = newProject();
      const since = new Date(Date.now() - 1000).toISOString();
      const child = spawn(process.execPath, ['--', cliPath, '--runtime', target.name, '-f', file, '-p', p, 'events', '--json', '--since', since, 'web'], {
        cwd: dir,
        env: { ...process.env, NO_COLOR: '1', ...target.env(), HAFEN_EVENTS_TEST_UNSET: 'set' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const actions = (): string[] => jsonLines(stdout, 'events').map((e) => String(e.action));

      const up = run(p, ['up', '-d', 'web']);
      expect(up.code, up.stderr).toBe(0);
      await eventually('health_status', () => actions().includes('health_status'));
      // What is past, in Compose's plain form: --since and --until end by themselves.
      const past = run(p, ['events', '--since', since, '--until', new Date().toISOString()]);
      expect(past.code, past.stderr).toBe(0);
      const plain = past.stdout.trim().split('\n');
      expect(plain[0]).toMatch(new RegExp(`^\\d{4}-\\S+ container create [0-9a-f]{12,} \\(image=\\S+, name=${p}-web-1\\)$`));
      expect(plain.map((l) => l.split(' ')[2])).toEqual(expect.arrayContaining(['create', 'start', 'health_status']));
      const stop = run(p, ['stop']);
      expect(stop.code, stop.stderr).toBe(0);
      const down = run(p, ['down']);
      expect(down.code, down.stderr).toBe(0);
      await eventually('destroy', () => actions().includes('destroy'));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stderr).toBe('');

      const events = jsonLines(stdout, 'events');
      for (const e of events) {
        expect(e).toMatchObject({ type: 'container', service: 'web', attributes: { name: `${p}-web-1` } });
        expect(Number.isNaN(Date.parse(String(e.time)))).toBe(false);
      }
      const order = ['create', 'start', 'health_status', 'die', 'destroy'];
      const at = order.map((a) => actions().indexOf(a));
      expect(at.every((i) => i >= 0), actions().join(' ')).toBe(true);
      expect([...at].sort((a, b) => a - b), actions().join(' ')).toEqual(at);
      expect(events.find((e) => e.action === 'health_status')).toMatchObject({ attributes: { health_status: 'healthy' } });
      expect(events.find((e) => e.action === 'die')).toMatchObject({ attributes: { exitCode: '143' } });
      expect(new Set(events.map((e) => e.id)).size).toBe(1);
    }, 120_000);

    it('--progress json: build, up, stop, start, restart, run, down and a failure write JSON lines with v: 1 and nothing else', () => {
      const p = newProject();
      const json = (args: string[]): CliResult => run(p, ['--progress', 'json', ...args]);
      const seen: Record<string, unknown>[] = [];
      for (const args of [['build'], ['up', '-d'], ['stop'], ['start'], ['restart', 'web'], ['run', '--rm', 'web', 'echo', 'hi'], ['down']]) {
        const r = json(args);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
        // stdout is the command's own: only `run` prints there, its container's output.
        expect(r.stdout, `${args.join(' ')}: stdout`).toBe(args[0] === 'run' ? 'hi\n' : '');
        seen.push(...jsonLines(r.stderr, `${args.join(' ')}: stderr`));
      }
      for (const e of seen) expect(PROGRESS_KINDS).toContain(e.kind);
      const kinds = new Set(seen.map((e) => e.kind));
      for (const k of ['plan-start', 'op-start', 'op-done', 'plan-done', 'message']) expect(kinds).toContain(k);
      // The stack file's warning and the commands' sentences, as message lines.
      expect(seen).toContainEqual(expect.objectContaining({ kind: 'message', level: 'warning', text: expect.stringContaining('HAFEN_EVENTS_TEST_UNSET') }));
      expect(seen).toContainEqual(expect.objectContaining({ kind: 'message', level: 'info', text: expect.stringContaining(`${p} is down`) }));

      // A failure ends the stream with one error line, and still nothing else.
      const bad = json(['up', 'nosuchservice']);
      expect(bad.code).toBe(2);
      expect(bad.stdout).toBe('');
      const lines = jsonLines(bad.stderr, 'failed up');
      expect(lines.at(-1)).toMatchObject({ kind: 'error', exitCode: 2, message: expect.stringContaining('nosuchservice') });
      const usage = runStack(['--progress', 'json', '-p', p, 'down', '-t', 'abc'], { cwd: dir, env: target.env() });
      expect(usage.code).toBe(2);
      expect(jsonLines(usage.stderr, 'usage error')).toEqual([expect.objectContaining({ kind: 'error', code: 'E_USAGE' })]);
    }, 180_000);
  });
}

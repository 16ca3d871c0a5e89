/**
 * The everyday commands through the built CLI, as a user runs them: `up` (detached, attached,
 * idempotent, failing), `ps`, `port`, `logs`, `exec`, `run`, `stop`/`start`/`restart`/`kill`, a
 * restart policy applied by the supervisor, a supervisor killed with SIGKILL, and `down` leaving
 * nothing — not a mount, veth, bridge, cgroup, process or state file.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, unmet } from '../src/testing/requirements.js';
import { repoRoot, type CliResult } from './cli.js';
import { cliTargets } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';
import { isSupervisorScript } from './stack-leftovers.js';

const file = path.join(repoRoot, 'fixtures/orchestration/stack.yaml');
const example = path.join(repoRoot, 'stack.example.yaml');

// As root and as the rootless test user (issue 17): the same commands, the same results.
for (const target of cliTargets('10.237.0.0/16:24', { rootless: true }).filter((t) => t.runtime === 'embedded')) {
  const factory = runtimeNamed(target.name);
  describe.skipIf(unmet(...factory.requirements, requireCommand('nsenter')))(`stack up, down and the everyday commands (${target.name} runtime)`, () => {
    let dir: string;
    const root = (): string => target.stateRoot();
    const projects: string[] = [];

    /** `stack -f FILE -p PROJECT ...args`, as the target's user. */
    const run = (project: string, args: string[], opts: { file?: string; timeout?: number; env?: Record<string, string> } = {}): CliResult =>
      target.stack(['-f', opts.file ?? file, '-p', project, '--progress', 'plain', ...args], { cwd: repoRoot, timeout: opts.timeout ?? 60_000, ...(opts.env ? { env: opts.env } : {}) });
    const newProject = (): string => {
      const p = `orch${randomBytes(3).toString('hex')}`;
      projects.push(p);
      return p;
    };
    const psJson = (project: string): Array<{ name: string; service: string; state: string; exitCode?: number; restarts: number; ports: { hostPort: number }[] }> =>
      JSON.parse(run(project, ['ps', '--json']).stdout);

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `hafen-up-${target.name}-`));
      await target.setup(dir);
    }, 120_000);
    afterEach(() => {
      // Whatever a test left, down takes away; and then nothing may be left.
      for (const p of projects.splice(0)) {
        run(p, ['down', '-v']);
        expect(target.leftovers(p)).toEqual([]);
      }
    }, 60_000);
    afterAll(() => {
      const left = target.close(); // rootless: the cgroup delegated to the user
      fs.rmSync(dir, { recursive: true, force: true });
      expect(left).toEqual([]);
    });

    it('brings stack.example.yaml up; its end-to-end runner passes; down leaves nothing', () => {
      const p = newProject();
      const r = run(p, ['up', '--exit-code-from', 'e2e'], { file: example, timeout: 120_000 });
      expect(r.stderr + r.stdout).toContain('e2e: all checks passed');
      expect(r.code).toBe(0);
      const down = run(p, ['down', '-v'], { file: example });
      expect(down.code).toBe(0);
      expect(down.stderr).toMatch(new RegExp(`${p} is down: 8 container\\(s\\) removed`));
      expect(target.leftovers(p)).toEqual([]);
    });

    it('up -d returns once ready; a second up changes nothing; ps, port, logs, exec and run work', async () => {
      const p = newProject();
      const up = run(p, ['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr).toMatch(/web\s+ready/);

      const again = run(p, ['up', '-d']);
      expect(again.code).toBe(0);
      expect(again.stderr).toContain('everything is up to date; nothing changed');

      const ps = psJson(p);
      expect(ps.map((c) => [c.service, c.state, c.exitCode])).toEqual([
        ['app', 'running', undefined],
        ['job', 'exited', 0],
        ['web', 'running', undefined],
      ]);
      const port = run(p, ['port', 'web', '8080']);
      expect(port.code).toBe(0);
      expect(port.stdout.trim()).toBe(`127.0.0.1:${ps[2]!.ports[0]!.hostPort}`);
      const res = await fetch(`http://${port.stdout.trim()}/hi`);
      expect(await res.json()).toMatchObject({ greeting: 'moin', path: '/hi' });

      const logs = run(p, ['logs', 'web', 'job']);
      expect(logs.stdout).toMatch(/^job-1 \| job done$/m);
      expect(logs.stdout).toMatch(/^web-1 \| GET \/hi$/m);

      const exec = run(p, ['exec', '-T', 'web', 'sh', '-c', 'echo $GREETING; exit 4']);
      expect(exec.stdout.trim()).toBe('moin');
      expect(exec.code).toBe(4);

      const oneOff = run(p, ['run', '--rm', 'job', 'sh', '-c', 'echo one-off -x; exit 5']);
      expect(oneOff.stdout).toContain('one-off -x');
      expect(oneOff.code).toBe(5);
      expect(psJson(p)).toHaveLength(3); // the one-off is gone, the others are as they were
    });

    it('the supervisor restarts a container by its policy, not one a user stopped; stop, start and restart', async () => {
      const p = newProject();
      expect(run(p, ['up', '-d']).code).toBe(0);
      // The app's command dies from inside: restart: always brings it back.
      run(p, ['exec', '-T', 'app', 'sh', '-c', 'kill -9 $(pidof sleep)']);
      let app = psJson(p).find((c) => c.service === 'app')!;
      for (let i = 0; i < 100 && app.restarts === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        app = psJson(p).find((c) => c.service === 'app')!;
      }
      expect(app).toMatchObject({ state: 'running', restarts: 1 });

      expect(run(p, ['kill', 'app']).code).toBe(0);
      await new Promise((r) => setTimeout(r, 500));
      expect(psJson(p).find((c) => c.service === 'app')).toMatchObject({ state: 'exited' });

      expect(run(p, ['stop']).code).toBe(0);
      expect(psJson(p).map((c) => c.state)).toEqual(['exited', 'exited', 'exited']);
      const start = run(p, ['start']);
      expect(start.code, start.stderr).toBe(0);
      // Stopped services start again (start, like compose's, runs the finished one-shot again too).
      expect(psJson(p).map((c) => `${c.service} ${c.state}`)).toEqual(['app running', 'job exited', 'web running']);
      const restart = run(p, ['restart', 'web']);
      expect(restart.code, restart.stderr).toBe(0);
      expect(restart.stderr).toMatch(/web\s+ready/);
    });

    it('attached up follows the logs (across restarts) until Ctrl-C, then stops the stack gracefully (exit 130)', async () => {
      const p = newProject();
      const child = target.spawn(['-f', file, '-p', p, '--progress', 'plain', 'up'], { cwd: repoRoot });
      let out = '';
      child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
      const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
      for (let i = 0; i < 600 && !out.includes('Attached to'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain('Attached to 3 containers');
      await fetch(`http://${run(p, ['port', 'web', '8080']).stdout.trim()}/attached`);
      for (let i = 0; i < 100 && !out.includes('GET /attached'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toMatch(/web\s+\| GET \/attached/);
      // A container restarted by its policy is followed on: its new run's lines appear too.
      const before = (out.match(/app\s+\| app up/g) ?? []).length;
      run(p, ['exec', '-T', 'app', 'sh', '-c', 'kill -9 $(pidof sleep)']);
      for (let i = 0; i < 100 && (out.match(/app\s+\| app up/g) ?? []).length === before; i++) await new Promise((r) => setTimeout(r, 50));
      expect((out.match(/app\s+\| app up/g) ?? []).length).toBe(before + 1);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(out).toContain('Gracefully stopping');
      expect(psJson(p).map((c) => c.state)).toEqual(['exited', 'exited', 'exited']);
    });

    it('a rebuilt image recreates its service and only it (up --build, and up after build)', () => {
      const p = newProject();
      const context = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-rebuild-'));
      target.handOver(context);
      try {
        const stackFile = path.join(context, 'stack.yaml');
        fs.writeFileSync(
          stackFile,
          'services:\n  app:\n    build: .\n    command: ["sleep", "600"]\n  other:\n    image: host\n    command: ["sleep", "600"]\n',
        );
        const dockerfile = (v: string): void => fs.writeFileSync(path.join(context, 'Dockerfile'), `FROM host\nRUN echo ${v} > /version\n`);
        const version = (): string => run(p, ['exec', '-T', 'app', 'cat', '/version'], { file: stackFile }).stdout.trim();
        const startedAt = (service: string): string =>
          (JSON.parse(run(p, ['ps', '--json'], { file: stackFile }).stdout) as { service: string; startedAt: string }[]).find((c) => c.service === service)!.startedAt;
        dockerfile('v1');
        expect(run(p, ['up', '-d'], { file: stackFile }).code).toBe(0);
        expect(version()).toBe('v1');
        const other = startedAt('other');

        dockerfile('v2');
        const rebuilt = run(p, ['up', '-d', '--build'], { file: stackFile });
        expect(rebuilt.code, rebuilt.stderr).toBe(0);
        expect(version()).toBe('v2');

        dockerfile('v3');
        expect(run(p, ['build'], { file: stackFile }).code).toBe(0);
        expect(run(p, ['up', '-d'], { file: stackFile }).code).toBe(0);
        expect(version()).toBe('v3');
        expect(startedAt('other')).toBe(other); // untouched throughout
        expect(run(p, ['down', '-v'], { file: stackFile }).code).toBe(0);
      } finally {
        fs.rmSync(context, { recursive: true, force: true });
      }
    }, 120_000);

    it('after the supervisor is SIGKILLed, ps says so, up takes the containers over again, and down removes everything', async () => {
      const p = newProject();
      expect(run(p, ['up', '-d']).code).toBe(0);
      const pid = findSupervisor(p);
      expect(pid).toBeGreaterThan(0);
      process.kill(pid, 'SIGKILL');
      const ps = run(p, ['ps']);
      expect(ps.stderr).toContain(`the supervisor of ${p} is not running`);
      // `up` starts a new supervisor, which serves the running containers' ports again.
      const again = run(p, ['up', '-d']);
      expect(again.stderr).toContain('nothing changed');
      const res = await fetch(`http://${run(p, ['port', 'web', '8080']).stdout.trim()}/again`);
      expect(res.status).toBe(200);
      expect(findSupervisor(p)).not.toBe(pid);
      const down = run(p, ['down', '-v']);
      expect(down.code, down.stderr).toBe(0);
      expect(target.leftovers(p)).toEqual([]);
    });

    it('a service that never gets ready fails up: it is named with its check and log, its dependent is not started', () => {
      const p = newProject();
      const r = run(p, ['--profile', 'broken', 'up', '-d', '--wait-timeout', '3s', 'after-broken']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('service broken: tcp 9999 failed: exited with code 3 before it was ready');
      expect(r.stderr).toContain('broken: cannot reach the disk');
      expect(r.stderr).toMatch(/after-broken\s+not started/);
      expect(r.stderr).toContain(`stack -p ${p} down`);
      expect(psJson(p).find((c) => c.service === 'after-broken')?.state).toBe('created'); // made, never started
    });

    it('bad input is refused before anything is made: no state, no supervisor', () => {
      const p = newProject();
      const fresh = path.join(dir, 'untouched');
      const r = target.stack(['-f', file, '-p', p, 'up', '-d', 'nosuch'], { cwd: repoRoot, env: { HAFEN_ROOT: fresh } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('no such service: "nosuch"');
      const oneOff = target.stack(['-f', file, '-p', p, 'run', 'jbo', 'echo'], { cwd: repoRoot, env: { HAFEN_ROOT: fresh } });
      expect(oneOff.code).toBe(2);
      expect(oneOff.stderr).toContain('no such service: "jbo" (did you mean "job"?)');
      expect(fs.existsSync(fresh)).toBe(false);
    });

    it('--rollback takes down what the failed up made', () => {
      const p = newProject();
      const r = run(p, ['--profile', 'broken', 'up', '-d', '--rollback', '--wait-timeout', '3s', 'after-broken']);
      expect(r.code).toBe(1);
      expect(psJson(p)).toEqual([]);
      expect(target.leftovers(p)).toEqual([]); // nothing left: no container, network, supervisor or state
    });

    /** The pid of the project's supervisor, from its command line. */
    function findSupervisor(project: string): number {
      for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
        try {
          const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
          if (args.some(isSupervisorScript) && args[args.indexOf('--project') + 1] === project && args[args.indexOf('--root') + 1] === root()) return Number(pid);
        } catch {
          // gone meanwhile
        }
      }
      return 0;
    }
  });
}

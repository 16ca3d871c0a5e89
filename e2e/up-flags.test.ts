/**
 * Compose's flags on `up`, `down` and `logs`, through the built CLI on the embedded runtime and on
 * Docker: what the user sees and what is left on the system. `up --wait --scale`, `--no-recreate`,
 * `--no-build`, `--no-start`, `--pull`, `-t`; attached `--attach`/`--no-attach`, `--no-log-prefix`,
 * `--timestamps`; `logs --until`; `down --rmi local|all` (also by `-p NAME` without a file) and
 * `--remove-orphans`; `--wait` failing on a service that never gets ready. Nothing is left after.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { unmet } from '../src/testing/requirements.js';
import type { CliResult } from './cli.js';
import { cliTargets, stackOn } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';

const SLEEP = `trap 'exit 0' TERM; sleep 600 & wait`;
/** A main process that ignores SIGTERM: only the grace period ends it. */
const STUBBORN = `trap '' TERM; sleep 600 & wait`;

/** The stack under test: `web` runs (deaf to SIGTERM), `built` is built under the project's default name, `tagged` under a name of its own. */
const STACK = (image: string, tag: string, env = '1') => `services:
  web:
    image: ${image}
    command: ["sh", "-c", "${STUBBORN}"]
    environment: {V: "${env}"}
    stop_grace_period: 30s
  built:
    build: .
    command: ["sh", "-c", "${SLEEP}"]
  tagged:
    build: .
    image: ${tag}
    command: ["sh", "-c", "${SLEEP}"]
`;

/** A one-shot that prints two lines a second apart, beside a service that prints one and runs on. */
const ATTACH = (image: string) => `services:
  once:
    image: ${image}
    command: ["sh", "-c", "sleep 0.5; echo first-line; sleep 1.5; echo second-line"]
    depends_on: [quiet]
  quiet:
    image: ${image}
    command: ["sh", "-c", "echo quiet-line; ${SLEEP}"]
`;

/** A service whose healthcheck never passes. */
const NEVER_READY = (image: string) => `services:
  ok:
    image: ${image}
    command: ["sh", "-c", "${SLEEP}"]
  sick:
    image: ${image}
    command: ["sh", "-c", "${SLEEP}"]
    healthcheck: {test: ["CMD", "false"], interval: 100ms, timeout: 1s, retries: 2}
`;

interface PsRow {
  name: string;
  service: string;
  state: string;
}

for (const target of cliTargets('10.251.0.0/16:24', { rootless: true })) {
  describe.skipIf(unmet(...runtimeNamed(target.name).requirements))(`up/down/logs flags on the ${target.name} runtime`, () => {
    let dir: string;
    let image: string;
    const tag = `hafen-upflags-${randomBytes(3).toString('hex')}:1`;
    const projects: string[] = [];
    const file = (name: string) => path.join(dir, name);

    const run = (project: string, name: string, args: string[]): CliResult => stackOn(target, dir, file(name), project, args);
    const newProject = (): string => {
      const p = `uf${randomBytes(3).toString('hex')}`;
      projects.push(p);
      return p;
    };
    const ps = (p: string, name: string): PsRow[] => {
      const r = run(p, name, ['ps', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as PsRow[];
    };
    const ok = (r: CliResult): CliResult => {
      expect(r.code, r.stderr).toBe(0);
      return r;
    };

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `hafen-upflags-${target.name}-`));
      image = await target.setup(dir);
      fs.writeFileSync(file('Dockerfile'), `FROM ${image}\nRUN echo built > /built\n`);
      fs.writeFileSync(file('stack.yaml'), STACK(image, tag));
      fs.writeFileSync(file('changed.yaml'), STACK(image, tag, '2'));
      fs.writeFileSync(file('web-only.yaml'), `services:\n  web:\n    image: ${image}\n    command: ["sh", "-c", "${SLEEP}"]\n`);
      fs.writeFileSync(file('tagged-only.yaml'), `services:\n  tagged:\n    build: .\n    image: ${tag}\n    command: ["sh", "-c", "${SLEEP}"]\n`);
      fs.writeFileSync(file('attach.yaml'), ATTACH(image));
      fs.writeFileSync(file('never-ready.yaml'), NEVER_READY(image));
      fs.mkdirSync(file('nofile'));
    }, 120_000);
    afterEach(() => {
      for (const p of projects.splice(0)) {
        run(p, 'stack.yaml', ['down', '-v', '-t', '1', '--rmi', 'local']);
        expect(target.leftovers(p), `leftovers of ${p}`).toEqual([]);
      }
    }, 120_000);
    afterAll(() => {
      // The tagged image, if a failed test left it.
      const p = `uf${randomBytes(3).toString('hex')}`;
      run(p, 'tagged-only.yaml', ['down', '--rmi', 'all']);
      const left = target.close(); // rootless: the cgroup delegated to the user
      fs.rmSync(dir, { recursive: true, force: true });
      expect(left).toEqual([]);
    }, 60_000);

    it('--wait --scale, --no-recreate, --no-build, --pull never; down --rmi local by -p alone, --rmi all, --remove-orphans', () => {
      const p = newProject();
      const up = ok(run(p, 'stack.yaml', ['up', '--wait', '--scale', 'web=3', '--scale', 'tagged=0']));
      expect(up.stderr).toContain(`${p} is up`);
      const rows = ps(p, 'stack.yaml');
      expect(rows.filter((r) => r.service === 'web' && r.state === 'running').map((r) => r.name).sort()).toEqual([1, 2, 3].map((n) => `${p}-web-${n}`));
      expect(rows.filter((r) => r.service === 'tagged')).toEqual([]);

      // --no-recreate keeps the container (and what it wrote) though its environment changed; -t, not web's
      // 30s grace period, bounds the stops of the scale-down and of the recreate (web ignores SIGTERM).
      ok(run(p, 'stack.yaml', ['exec', 'web', 'sh', '-c', 'echo kept > /tmp/mark']));
      let began = Date.now();
      ok(run(p, 'changed.yaml', ['up', '-d', '--no-recreate', '--scale', 'web=1', '--pull', 'never', '-t', '1']));
      expect(Date.now() - began).toBeLessThan(25_000);
      expect(ok(run(p, 'changed.yaml', ['exec', 'web', 'cat', '/tmp/mark'])).stdout.trim()).toBe('kept');
      expect(ps(p, 'changed.yaml').filter((r) => r.service === 'web').map((r) => r.name)).toEqual([`${p}-web-1`]);
      began = Date.now();
      ok(run(p, 'changed.yaml', ['up', '-d', '--no-build', '-t', '1', '--scale', 'web=1']));
      expect(Date.now() - began).toBeLessThan(25_000);
      expect(run(p, 'changed.yaml', ['exec', 'web', 'cat', '/tmp/mark']).code).not.toBe(0); // recreated: a new writable layer

      // down --rmi local by the project's name alone: the image built under the project's name goes, the tagged one stays.
      const down = target.stack(['--runtime', target.runtime, '-p', p, '--progress', 'plain', 'down', '-t', '1', '--rmi', 'local'], { cwd: file('nofile') });
      expect(down.code, down.stderr).toBe(0);
      expect(down.stderr).toContain(`removed image(s): ${p}-built`);
      const noBuild = run(p, 'stack.yaml', ['up', '-d', '--no-build']);
      expect(noBuild.code).toBe(2);
      expect(noBuild.stderr.trim()).toMatch(new RegExp(`^error: --no-build: the image ${p}-built of service built is not built; run \`stack build built\` first`));
      ok(run(p, 'stack.yaml', ['up', '-d', '--no-build', 'tagged']));

      // --remove-orphans with a file that lost services: everything of the project goes; --rmi all takes the tagged image.
      ok(run(p, 'web-only.yaml', ['up', '-d']));
      expect(ok(run(p, 'tagged-only.yaml', ['down', '--remove-orphans', '--rmi', 'all'])).stderr).toContain(`removed image(s): ${tag}`);
      expect(target.leftovers(p)).toEqual([]);
      expect(run(p, 'tagged-only.yaml', ['up', '-d', '--no-build']).stderr).toContain(`the image ${tag} of service tagged is not built`);
      // The orphan's image (the runtime's shared test image) was not the file's: it stays.
      ok(run(p, 'web-only.yaml', ['up', '-d', '--pull', 'never']));
    }, 240_000);

    it('--no-start creates and starts nothing; --wait fails naming the service that never gets ready', () => {
      const p = newProject();
      const created = ok(run(p, 'web-only.yaml', ['up', '--no-start']));
      expect(created.stderr).toContain('created, not started');
      expect(ps(p, 'web-only.yaml').map((r) => [r.name, r.state])).toEqual([[`${p}-web-1`, 'created']]);
      ok(run(p, 'web-only.yaml', ['start']));
      expect(ps(p, 'web-only.yaml').map((r) => r.state)).toEqual(['running']);
      ok(run(p, 'web-only.yaml', ['down']));

      // Colour forced on (FORCE_COLOR), and --no-color still takes it off.
      const argv = ['--runtime', target.runtime, '-f', file('never-ready.yaml'), '-p', p, '--progress', 'plain', 'up', '--wait', '--wait-timeout', '20s'];
      const colour = { cwd: dir, env: { NO_COLOR: '', FORCE_COLOR: '1' } };
      const failed = target.stack([...argv, '--no-color'], colour);
      expect(failed.code, failed.stderr).toBe(1);
      expect(failed.stderr).toMatch(/sick\s+failed/);
      expect(failed.stderr).not.toMatch(/ok\s+failed/);
      expect(failed.stderr).not.toContain('\x1b[');
      expect(target.stack(argv, colour).stderr).toContain('\x1b[');
    }, 180_000);

    it('attached: --attach/--no-attach choose the logs shown, --no-log-prefix and --timestamps shape them; logs --until cuts them', () => {
      const p = newProject();
      const up = ok(run(p, 'attach.yaml', ['up', '--exit-code-from', 'once', '--no-attach', 'quiet', '--no-log-prefix', '--timestamps', '-t', '1']));
      const shown = up.stdout + up.stderr;
      expect(shown).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z first-line$/m);
      expect(shown).toMatch(/^\d{4}-\d\d-\d\dT\S+ second-line$/m);
      expect(shown).not.toContain('quiet-line');

      const only = ok(run(p, 'attach.yaml', ['up', '--force-recreate', '--exit-code-from', 'once', '--attach', 'quiet']));
      expect(only.stdout + only.stderr).toMatch(/quiet\s+\| quiet-line/);
      expect(only.stdout + only.stderr).not.toContain('first-line');

      // The first run's two lines are 1.5s apart: --until between them keeps the first only.
      const stamped = ok(run(p, 'attach.yaml', ['logs', '--timestamps', '--no-log-prefix', 'once'])).stdout;
      const first = /^(\S+) first-line$/m.exec(stamped)![1]!;
      const until = new Date(Date.parse(first) + 700).toISOString();
      const cut = ok(run(p, 'attach.yaml', ['logs', '--no-log-prefix', '--until', until, 'once'])).stdout.split('\n').filter(Boolean);
      expect(cut).toEqual(['first-line']);
      expect(ok(run(p, 'attach.yaml', ['logs', '--until', '1h', 'once'])).stdout.trim()).toBe('');
    }, 180_000);
  });
}

/**
 * Compose's forms of `ps` and `ls`, and commands that need only the project, through the built CLI
 * on the embedded runtime and on Docker: `ps -q` prints the runtime's real container IDs, `ps
 * --format json` one object per line with Compose's fields, a template prints what it names, `ls`
 * lists the project until `down`; from a folder with no stack file `-p NAME` (and HAFEN_PROJECT)
 * reach the project on whichever runtime holds it; HEALTH tells the `ready:` check's state.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { unmet } from '../src/testing/requirements.js';
import { stack, type CliResult } from './cli.js';
import { cliTargets } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';

const SLEEP = `trap 'exit 0' TERM; sleep 600 & wait`;
const STACK = (image: string) => `services:
  db:
    image: ${image}
    command: ["sh", "-c", "touch /tmp/up; echo listening; ${SLEEP}"]
    # Not a log: check: on Docker a line printed at once can carry a time before the container's
    # StartedAt, and the log probe (which reads from StartedAt) then misses it.
    ready: {exec: ["test", "-e", "/tmp/up"]}
  web:
    image: ${image}
    command: ["sh", "-c", "${SLEEP}"]
    ports: ["80"]
    depends_on: {db: {condition: service_healthy}}
`;

/** Compose's fields of `ps --format json` that scripts read. */
const COMPOSE_FIELDS = ['ID', 'Name', 'Image', 'Command', 'Project', 'Service', 'State', 'Health', 'ExitCode', 'Publishers', 'CreatedAt', 'RunningFor', 'Status', 'Labels', 'Networks', 'Ports'];

const lines = (r: CliResult): string[] => r.stdout.split('\n').filter((l) => l !== '');

for (const target of cliTargets('10.252.0.0/16:24')) {
  describe.skipIf(unmet(...runtimeNamed(target.name).requirements))(`ps forms and projects on the ${target.name} runtime`, () => {
    let dir: string;
    let file: string;
    let empty: string;
    /** The state root of this test's runs (Docker's too: its ready records and locks go there). */
    let root: string;
    const projects: string[] = [];

    const env = (): Record<string, string> => ({ ...target.env(), HAFEN_ROOT: root });
    /** As a user runs it beside the stack file. */
    const run = (p: string, args: string[]): CliResult => stack(['--runtime', target.name, '-f', file, '-p', p, '--progress', 'plain', ...args], { cwd: dir, env: env(), timeout: 90_000 });
    /** From a folder with no stack file, naming no runtime: the project alone. */
    const bare = (args: string[], more: Record<string, string> = {}): CliResult => stack(args, { cwd: empty, env: { ...env(), ...more }, timeout: 90_000 });

    /** The container IDs the runtime itself holds for project `p`. */
    const realIds = (p: string): string[] => {
      if (target.name === 'docker') {
        return execFileSync('docker', ['ps', '-a', '--no-trunc', '-q', '--filter', `label=io.hafen.project=${p}`], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
      }
      const containers = path.join(root, 'projects', p, 'containers');
      if (!fs.existsSync(containers)) return [];
      return fs
        .readdirSync(containers)
        .map((c) => (JSON.parse(fs.readFileSync(path.join(containers, c, 'container.json'), 'utf8')) as { id: string }).id)
        .sort();
    };

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `hafen-ps-forms-${target.name}-`));
      const image = await target.setup(dir);
      root = target.name === 'embedded' ? target.env().HAFEN_ROOT! : path.join(dir, 'docker-root');
      file = path.join(dir, 'stack.yaml');
      fs.writeFileSync(file, STACK(image));
      // Not under `dir`: a stack file in a folder above would be found.
      empty = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-ps-forms-nofile-'));
    }, 120_000);
    afterEach(() => {
      for (const p of projects.splice(0)) {
        run(p, ['down', '-v']);
        expect(target.leftovers(p), `leftovers of ${p}`).toEqual([]);
        expect(fs.existsSync(path.join(root, 'ready', p)), `ready records of ${p}`).toBe(false);
      }
    }, 120_000);
    afterAll(() => [dir, empty].forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    it("prints Compose's forms of ps, the ready: state in HEALTH, and lists the project in ls", () => {
      const p = `pf${randomBytes(3).toString('hex')}`;
      projects.push(p);
      const up = run(p, ['up', '-d']);
      expect(up.code, up.stderr).toBe(0);

      // -q: the runtime's own IDs, in full; --services: the names.
      const ids = realIds(p);
      expect(ids).toHaveLength(2);
      expect(lines(run(p, ['ps', '-q'])).sort()).toEqual(ids);
      expect(lines(run(p, ['ps', '--services'])).sort()).toEqual(['db', 'web']);
      expect(lines(run(p, ['ps', '--status', 'running', '--status', 'exited', '-q'])).sort()).toEqual(ids);
      expect(run(p, ['ps', '--status', 'exited', '-q']).stdout).toBe('');
      expect(lines(run(p, ['ps', '--filter', 'status=running', '--services']))).toEqual(['db', 'web']);

      // --format json: one object per line, with Compose's field names.
      const json = lines(run(p, ['ps', '--format', 'json'])).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(json.map((c) => c.Name)).toEqual([`${p}-db-1`, `${p}-web-1`]);
      for (const c of json) {
        expect(Object.keys(c)).toEqual(expect.arrayContaining(COMPOSE_FIELDS));
        expect(c).toMatchObject({ Project: p, State: 'running', ExitCode: 0, Status: expect.stringMatching(/^Up /) });
        expect(ids).toContain(c.ID);
        expect(c.Command).toContain('sleep 600');
      }
      const [db, web] = json as [Record<string, unknown>, Record<string, unknown>];
      expect(db.Health).toBe('healthy'); // its ready: check passed, in Compose's words
      expect(web.Health).toBe('');
      const published = web.Publishers as { URL: string; TargetPort: number; PublishedPort: number; Protocol: string }[];
      expect(published).toEqual([expect.objectContaining({ TargetPort: 80, Protocol: 'tcp', PublishedPort: expect.any(Number) })]);
      expect(published[0]!.PublishedPort).toBeGreaterThan(0);
      expect(web.Ports).toBe(`${published[0]!.URL}:${published[0]!.PublishedPort}->80/tcp`);

      // A template, and a table of one.
      expect(lines(run(p, ['ps', '--format', '{{.Service}} {{.State}} {{.Health}}']))).toEqual(['db running healthy', 'web running ']);
      expect(lines(run(p, ['ps', '--format', 'table {{.Service}}\\t{{.Health}}']))).toEqual(['SERVICE   HEALTH', 'db        healthy', 'web']);

      // hafen's own table and --json say `ready`.
      const table = lines(run(p, ['ps']));
      expect(table[1]).toMatch(new RegExp(`^${p}-db-1\\s+db\\s+running\\s+ready\\s`));
      const rows = JSON.parse(run(p, ['ps', '--json']).stdout) as { service: string; health: string; ready?: string }[];
      expect(rows.map((r) => [r.service, r.health, r.ready])).toEqual([
        ['db', 'none', 'ready'],
        ['web', 'none', undefined],
      ]);

      // ls: the project, its state counts, its file, its runtime.
      const ls = JSON.parse(stack(['--runtime', target.name, 'ls', '--format', 'json'], { cwd: empty, env: env() }).stdout) as Record<string, string>[];
      expect(ls.find((x) => x.Name === p)).toEqual({ Name: p, Status: 'running(2)', ConfigFiles: file, Runtime: target.name });
      expect(lines(bare(['ls', '-q', '--filter', `name=${p}`]))).toEqual([p]);
      expect(lines(bare(['ls', '-q', '--filter', `name=^${p.slice(0, 4)}`]))).toContain(p);
      if (target.name === 'embedded') {
        // An engine that cannot be reached leaves the embedded side listed, and is said once.
        const noEngine = bare(['ls', '-q'], { DOCKER_HOST: `unix://${path.join(dir, 'no-such.sock')}` });
        expect(noEngine.code, noEngine.stderr).toBe(0);
        expect(lines(noEngine)).toContain(p);
        expect(noEngine.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^warning: Docker projects are not listed: the engine cannot be reached/)]);
      }
    }, 240_000);

    it('reaches the project from a folder with no stack file by -p or HAFEN_PROJECT: ps, logs, stop, down', () => {
      const p = `pn${randomBytes(3).toString('hex')}`;
      projects.push(p);
      expect(run(p, ['up', '-d']).code).toBe(0);
      const ids = realIds(p);

      // No -f and no --runtime: the runtime that holds the project is found.
      const ps = bare(['-p', p, 'ps', '--format', 'json']);
      expect(ps.code, ps.stderr).toBe(0);
      expect(lines(ps).map((l) => (JSON.parse(l) as { ID: string }).ID).sort()).toEqual(ids);
      expect(lines(bare(['ps', '-q'], { HAFEN_PROJECT: p })).sort()).toEqual(ids);
      expect(lines(bare(['ps', '-q'], { COMPOSE_PROJECT_NAME: p })).sort()).toEqual(ids);
      // -p, then HAFEN_PROJECT, then COMPOSE_PROJECT_NAME.
      expect(lines(bare(['-p', p, 'ps', '-q'], { HAFEN_PROJECT: 'pnother' })).sort()).toEqual(ids);
      expect(lines(bare(['ps', '-q'], { HAFEN_PROJECT: p, COMPOSE_PROJECT_NAME: 'pnother' })).sort()).toEqual(ids);
      const logs = bare(['-p', p, 'logs', 'db']);
      expect(logs.code, logs.stderr).toBe(0);
      expect(logs.stdout).toMatch(/db.*\| listening/);

      const stop = bare(['-p', p, 'stop', 'web']);
      expect(stop.code, stop.stderr).toBe(0);
      expect(lines(bare(['-p', p, 'ps', '--status', 'exited', '--services']))).toEqual(['web']);
      expect(bare(['-p', p, 'stop']).code).toBe(0);
      expect(lines(bare(['-p', p, 'ps', '--status', 'exited', '-q'])).sort()).toEqual(ids);
      // A stopped project is listed with -a only.
      expect(lines(bare(['ls', '-q']))).not.toContain(p);
      const all = JSON.parse(bare(['ls', '-a', '--format', 'json']).stdout) as Record<string, string>[];
      expect(all.find((x) => x.Name === p)).toMatchObject({ Status: 'exited(2)', Runtime: target.name });

      const down = bare(['-p', p, 'down']);
      expect(down.code, down.stderr).toBe(0);
      expect(realIds(p)).toEqual([]);
      expect(lines(bare(['ls', '-a', '-q']))).not.toContain(p);
      expect(target.leftovers(p)).toEqual([]);
      expect(fs.existsSync(path.join(root, 'ready', p))).toBe(false);
    }, 240_000);
  });
}

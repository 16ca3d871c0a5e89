/**
 * A supervisor on standby (issue 16): `up` spawns one at the CLI's start, for the project its
 * arguments name (or its folder's), so Node starting it runs beside the loading and checking of the
 * file; it is told to serve only once the checks passed. A refused `up` leaves no process and no
 * state; a first `up -d` is served by the standby (its output in the project's supervisor.log); a
 * file naming another project than the arguments suggest is served by a supervisor started the
 * usual way, and the standby is gone.
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
import { supervisorPids } from './stack-leftovers.js';

const STACK = (image: string, name?: string) => `${name ? `name: ${name}\n` : ''}services:
  web:
    image: ${image}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]
`;

/** The command line of process `pid`, as its words. */
const commandLine = (pid: number): string[] => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

// As root and as the rootless test user (issue 17).
for (const target of cliTargets('10.229.0.0/16:24', { rootless: true }).filter((t) => t.runtime === 'embedded')) {
  describe.skipIf(unmet(...runtimeNamed(target.name).requirements))(`the supervisor on standby (${target.name} runtime)`, () => {
    let dir: string;
    let image: string;
    const projects: string[] = [];
    const root = (): string => target.stateRoot();
    const newProject = (): string => {
      const p = `sb${randomBytes(3).toString('hex')}`;
      projects.push(p);
      return p;
    };
    const run = (p: string, file: string, args: string[]): CliResult => stackOn(target, dir, file, p, args);

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-standby-'));
      image = await target.setup(dir);
      fs.writeFileSync(path.join(dir, 'stack.yaml'), STACK(image));
    }, 120_000);
    afterEach(() => {
      for (const p of projects.splice(0)) {
        run(p, path.join(dir, 'stack.yaml'), ['down', '-t', '1']);
        expect(target.leftovers(p), `leftovers of ${p}`).toEqual([]);
      }
    }, 120_000);
    afterAll(() => {
      const left = target.close(); // rootless: the cgroup delegated to the user
      fs.rmSync(dir, { recursive: true, force: true });
      expect(left).toEqual([]);
    });

    it('a refused up leaves no supervisor process and no state', () => {
      const p = newProject();
      const fresh = path.join(dir, 'untouched');
      const r = target.stack(['--runtime', 'embedded', '-f', path.join(dir, 'stack.yaml'), '-p', p, 'up', '-d', 'nosuch'], { cwd: dir, env: { HAFEN_ROOT: fresh } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('no such service: "nosuch"');
      expect(supervisorPids(p, fresh)).toEqual([]); // the standby was dismissed before the command exited
      expect(fs.existsSync(fresh)).toBe(false);
    });

    it('a first up -d is served by the standby: its command line names the project, its output goes to supervisor.log', () => {
      const p = newProject();
      const r = run(p, path.join(dir, 'stack.yaml'), ['up', '-d']);
      expect(r.code, r.stderr).toBe(0);
      const pids = supervisorPids(p, root());
      expect(pids).toHaveLength(1);
      expect(commandLine(pids[0]!)).toContain('--standby');
      const log = fs.readFileSync(path.join(root(), 'projects', p, 'supervisor.log'), 'utf8');
      expect(log).toContain(`of ${p} listening on`);
      expect(log).toContain(`Started container ${p}-web-1`);
    });

    it('a file naming another project than its folder: served by a supervisor started the usual way; no standby is left', () => {
      const p = newProject();
      const folder = path.join(dir, 'guessed');
      fs.mkdirSync(folder, { recursive: true });
      fs.writeFileSync(path.join(folder, 'stack.yaml'), STACK(image, p));
      const r = target.stack(['--runtime', 'embedded', '--progress', 'plain', 'up', '-d'], { cwd: folder });
      expect(r.code, r.stderr).toBe(0);
      const pids = supervisorPids(p, root());
      expect(pids).toHaveLength(1);
      expect(commandLine(pids[0]!)).not.toContain('--standby');
      expect(supervisorPids('guessed', root())).toEqual([]);
    });
  });
}

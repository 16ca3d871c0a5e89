/**
 * Compose's command-line habits through the built CLI, on the embedded runtime and on Docker:
 * `logs -f` after the command name follows (the common `-f FILE` before it still names the file);
 * `rm` (asking on stdin, -f, -s); `create`; `scale` (up, down, --no-deps); `run`'s flags (-u, -w,
 * -v, -l, --entrypoint, -d, --name, -p, --cap-add/--cap-drop, -T). Nothing is left after.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { unmet } from '../src/testing/requirements.js';
import { cliPath, type CliResult } from './cli.js';
import { cliTargets, projectsOn } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';

const SLEEP = `trap 'exit 0' TERM; sleep 600 & wait`;

const STACK = (image: string) => `services:
  talk:
    image: ${image}
    command: ["sh", "-c", "echo talk-1; sleep 1; echo talk-2"]
  db:
    image: ${image}
    command: ["sh", "-c", "${SLEEP}"]
  web:
    image: ${image}
    command: ["sh", "-c", "${SLEEP}"]
    depends_on: [db]
    labels: {from.file: "yes"}
volumes:
  data: {}
`;

interface PsRow {
  name: string;
  service: string;
  state: string;
}

for (const target of cliTargets('10.229.0.0/16:24')) {
  describe.skipIf(unmet(...runtimeNamed(target.name).requirements))(`Compose's commands and flags on the ${target.name} runtime`, () => {
    const scene = projectsOn(target, { tmpPrefix: 'cligaps', stack: STACK });
    const { run } = scene;
    const newProject = (): string => scene.newProject('cg');
    const ok = (r: CliResult): CliResult => {
      expect(r.code, r.stderr).toBe(0);
      return r;
    };
    /** The CLI with `input` on its standard input (a pipe, as in a script). */
    const withInput = (p: string, args: string[], input: string): CliResult => {
      const r = spawnSync(process.execPath, ['--', cliPath, '--runtime', target.name, '-f', scene.file, '-p', p, '--progress', 'plain', ...args], {
        cwd: scene.dir,
        env: { ...process.env, NO_COLOR: '1', ...target.env() },
        input,
        encoding: 'utf8',
        timeout: 90_000,
      });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    const ps = (p: string): PsRow[] => (JSON.parse(ok(run(p, ['ps', '-a', '--json'])).stdout) as PsRow[]).sort((a, b) => (a.name < b.name ? -1 : 1));
    const states = (p: string): string[] => ps(p).map((r) => `${r.name} ${r.state}`);

    beforeAll(() => {
      fs.mkdirSync(path.join(scene.dir, 'host'));
      fs.writeFileSync(path.join(scene.dir, 'host', 'f'), 'from-the-host\n');
    });

    it('logs -f after the command follows (the file is the -f before it); rm asks on stdin, -f does not, -s stops first', () => {
      const p = newProject();
      ok(run(p, ['up', '-d']));
      // `stack -f FILE logs -f --tail 20 talk`: follows until talk exits, then ends.
      const logs = ok(run(p, ['logs', '-f', '--tail', '20', 'talk']));
      expect(logs.stdout).toMatch(/talk-1[\s\S]*talk-2/);
      expect(ok(run(p, ['logs', '-ft', 'talk'])).stdout).toMatch(/\dT\d.*talk-2/); // -f and -t in one word

      // No answer (end of input): nothing removed, exit 0, as Compose.
      const asked = withInput(p, ['rm', 'talk'], '');
      expect(asked.code, asked.stderr).toBe(0);
      expect(asked.stderr).toContain(`Going to remove ${p}-talk-1. Are you sure? [yN]`);
      expect(asked.stderr).toContain('nothing removed');
      expect(states(p)).toContain(`${p}-talk-1 exited`);
      // Running containers are not stopped ones: nothing to remove of web without -s.
      expect(ok(run(p, ['rm', '-f', 'web'])).stderr).toContain('No stopped containers');
      // "y" on stdin removes; web and db run on.
      const yes = withInput(p, ['rm'], 'y\n');
      expect(yes.code, yes.stderr).toBe(0);
      expect(yes.stderr).toContain(`removed ${p}-talk-1`);
      expect(states(p)).toEqual([`${p}-db-1 running`, `${p}-web-1 running`]);
      // -s stops first, -f asks nothing; `-sf` as one word too.
      const forced = ok(run(p, ['rm', '-sf', 'web']));
      expect(forced.stderr).toContain(`Going to remove ${p}-web-1`);
      expect(states(p)).toEqual([`${p}-db-1 running`]);
    }, 180_000);

    it('create makes without starting; scale runs N (and fewer), with --no-deps leaving the dependency as it is', () => {
      const p = newProject();
      const created = ok(run(p, ['create', 'web']));
      expect(created.stderr).toContain('created, not started');
      expect(states(p)).toEqual([`${p}-db-1 created`, `${p}-web-1 created`]);
      ok(run(p, ['scale', 'web=3']));
      expect(states(p)).toEqual([`${p}-db-1 running`, ...[1, 2, 3].map((n) => `${p}-web-${n} running`)]);
      ok(run(p, ['scale', 'web=1']));
      expect(states(p)).toEqual([`${p}-db-1 running`, `${p}-web-1 running`]);
      ok(run(p, ['stop', '-t', '1', 'db']));
      ok(run(p, ['scale', '--no-deps', 'web=2']));
      expect(states(p)).toEqual([`${p}-db-1 exited`, `${p}-web-1 running`, `${p}-web-2 running`]);
    }, 240_000);

    it('run takes -u, -w, -v, -l, --entrypoint, --cap-drop/--cap-add; -d --name -p publishes a port of its own', async () => {
      const p = newProject();
      const shown = ok(
        run(p, ['run', '--rm', '-T', '-u', '1234', '-w', '/tmp', '-v', './host:/h:ro', '-l', 'cli.gaps=yes', '--entrypoint', 'sh -c', 'web', 'id -u; pwd; cat /h/f; touch /h/x 2>/dev/null || echo read-only']),
      );
      expect(shown.stdout.trim().split('\n')).toEqual(['1234', '/tmp', 'from-the-host', 'read-only']);
      const caps = ok(run(p, ['run', '--rm', '--cap-drop', 'ALL', '--cap-add', 'CHOWN', 'web', 'sh', '-c', 'grep CapEff /proc/self/status']));
      expect(caps.stdout).toMatch(/CapEff:\s+0000000000000001/);

      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const name = `${p}-oneoff`;
      const detached = ok(run(p, ['run', '-d', '--name', name, '-p', `127.0.0.1:${port}:8080`, 'web', 'sh', '-c', 'echo served > /tmp/index.html; exec httpd -f -p 8080 -h /tmp']));
      expect(detached.stdout.trim()).toBe(name);
      let body = '';
      for (let i = 0; i < 50 && body === ''; i++) {
        body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()).catch(() => '');
        if (body === '') await new Promise((r) => setTimeout(r, 200));
      }
      expect(body.trim()).toBe('served');
      // The one-off is the project's: rm -s -f stops and removes it.
      expect(ok(run(p, ['rm', '-s', '-f'])).stderr).toContain(`removed ${name}`);
    }, 240_000);
  });
}

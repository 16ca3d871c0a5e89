/**
 * The embedded runtime's supervisor goes when it has nothing to do (issue 16): after an
 * `up --exit-code-from` that stopped everything, after `stop`, after every container exited by
 * itself with its restarts done, no supervisor process of the project is left within a few seconds;
 * and what it knew outlives it: `ps -a` (exit codes, restarts), `logs`, `events --since`, and
 * `start` brings a new one back. Everything is removed by `down`, checked by the leak scan.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { unmet } from '../src/testing/requirements.js';
import { cliTargets, projectsOn } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';
import { supervisorPids } from './stack-leftovers.js';

const SLEEPER = `trap 'exit 0' TERM; echo web up; sleep 600 & wait`;

const STACK = (image: string) => `services:
  web:
    image: ${image}
    command: ["sh", "-c", "${SLEEPER}"]
  job:
    image: ${image}
    command: ["sh", "-c", "echo job ran; sleep 0.3; exit 3"]
    profiles: [job]
  flaky:
    image: ${image}
    command: ["sh", "-c", "echo flaky ran; exit 4"]
    restart: on-failure:2
    profiles: [flaky]
`;

// As root and as the rootless test user (issue 17: its supervisor lives in the user's namespace).
for (const target of cliTargets('10.224.0.0/16:24', { rootless: true }).filter((t) => t.runtime === 'embedded')) {
  describe.skipIf(unmet(...runtimeNamed(target.name).requirements))(`the supervisor exits when it has nothing to do (${target.name} runtime)`, () => {
    const { run, ok, newProject } = projectsOn(target, { tmpPrefix: 'supervisor-idle', stack: STACK });
    const root = (): string => target.stateRoot();
    /** Waits until no supervisor process of the project is left; fails after `ms`. */
    const gone = async (p: string, ms = 10_000): Promise<number> => {
      const started = Date.now();
      while (supervisorPids(p, root()).length > 0) {
        if (Date.now() - started > ms) throw new Error(`the supervisor of ${p} still runs ${ms} ms later: ${supervisorPids(p, root()).join(', ')}`);
        await sleep(100);
      }
      return Date.now() - started;
    };
    const ps = (p: string) =>
      JSON.parse(ok(p, ['ps', '-a', '--json']).stdout) as { service: string; state: string; exitCode?: number; restarts: number }[];

    it('after `up --exit-code-from` stopped everything: no supervisor is left; ps -a, logs, events --since and start still work', async () => {
      const p = newProject('sie');
      const since = new Date(Date.now() - 1000).toISOString();
      const up = run(p, ['--profile', 'job', 'up', '--exit-code-from', 'job']);
      expect(up.code, up.stderr).toBe(3);
      await gone(p);

      const rows = ps(p);
      expect(rows.find((r) => r.service === 'job')).toMatchObject({ state: 'exited', exitCode: 3 });
      expect(rows.find((r) => r.service === 'web')?.state).toBe('exited');
      expect(ok(p, ['logs', 'job']).stdout).toContain('job ran');
      const events = ok(p, ['events', '--since', since, '--until', new Date().toISOString()]).stdout;
      expect(events).toMatch(new RegExp(`container die \\S+ \\(exitCode=3, image=\\S+, name=${p}-job-1\\)`));
      expect(events).toContain(`container stop`);
      expect(supervisorPids(p, root())).toEqual([]); // looking started none

      ok(p, ['start', 'web']);
      expect(supervisorPids(p, root())).toHaveLength(1);
      expect(ps(p).find((r) => r.service === 'web')?.state).toBe('running');
    }, 120_000);

    it('after `stop` of all: gone within a few seconds, and the next `up -d` starts a new one', async () => {
      const p = newProject('sis');
      ok(p, ['up', '-d']);
      const [first] = supervisorPids(p, root());
      expect(first).toBeGreaterThan(0);
      await sleep(2500); // longer than its grace period: running containers keep it
      expect(supervisorPids(p, root())).toEqual([first]);

      ok(p, ['stop', '-t', '1']);
      expect(await gone(p)).toBeLessThan(10_000);
      expect(ps(p).map((r) => r.state)).toEqual(['exited']);

      ok(p, ['up', '-d']);
      const [second] = supervisorPids(p, root());
      expect(second).toBeGreaterThan(0);
      expect(second).not.toBe(first);
      expect(ps(p).map((r) => r.state)).toEqual(['running']);
    }, 120_000);

    it('after a restart policy gave up on a container that kept failing: gone, its restarts still counted', async () => {
      const p = newProject('sir');
      const up = run(p, ['--profile', 'flaky', 'up', '-d', 'flaky']);
      expect(up.code, up.stderr).not.toBe(-1);
      await gone(p, 20_000);
      const flaky = ps(p).find((r) => r.service === 'flaky');
      expect(flaky).toMatchObject({ state: 'exited', exitCode: 4, restarts: 2 });
      expect(ok(p, ['logs', 'flaky']).stdout.match(/flaky ran/g)).toHaveLength(3);
    }, 120_000);
  });
}

/**
 * The container commands through the built CLI, on the embedded runtime and on a real dockerd:
 * `pause`/`unpause` (a counter stops, ps says paused, a paused stack still goes down without a
 * trace), `top`, `cp` both ways (content and mode; into a stopped container; a hostile symlink in
 * the container never reaches the host's files), `wait` and `stats --no-stream`.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { unmet } from '../src/testing/requirements.js';
import { cliTargets, projectsOn } from './cli-targets.js';
import { caveatOf } from './conformance/harness.js';
import { runtimeNamed } from './conformance/runtimes.js';
import { supervisorPids } from './stack-leftovers.js';

// Appends (never rewrites) so a read never catches the file half-written: its length is the count.
const COUNTER = `trap 'exit 0' TERM; mkdir -p /tmp; while true; do printf x >> /tmp/counter; sleep 0.1; done`;
const SLEEPER = `trap 'exit 0' TERM; mkdir -p /tmp /etc; sleep 600 & wait`;

const STACK = (image: string) => `services:
  counter:
    image: ${image}
    command: ["sh", "-c", "${COUNTER}"]
  box:
    image: ${image}
    command: ["sh", "-c", "${SLEEPER}"]
  job:
    image: ${image}
    command: ["sh", "-c", "sleep 1; exit 3"]
  keeper:
    image: ${image}
    command: ["sh", "-c", "${SLEEPER}"]
    volumes: ["data:/data"]
volumes:
  data: {}
`;

for (const target of cliTargets('10.253.0.0/16:24', { rootless: true })) {
  const factory = runtimeNamed(target.name);
  describe.skipIf(unmet(...factory.requirements))(`container commands on the ${target.name} runtime`, () => {
    const scene = projectsOn(target, { tmpPrefix: 'container-ops', stack: STACK });
    const { run, ok, newProject } = scene;
    /** The counter as the container last wrote it, read with `cp` (which works on a paused container too). */
    const counter = (p: string): number => {
      const out = path.join(scene.dir, `counter-${randomBytes(3).toString('hex')}`);
      ok(p, ['cp', 'counter:/tmp/counter', out]);
      const n = fs.readFileSync(out, 'utf8').length;
      fs.rmSync(out);
      return n;
    };
    const psState = (p: string, service: string): string | undefined =>
      (JSON.parse(ok(p, ['ps', '--json']).stdout) as { service: string; state: string }[]).find((r) => r.service === service)?.state;

    it.skipIf(caveatOf(factory, 'freezer'))('pauses a service (its counter stops, ps says paused), unpauses it (the counter goes on), and takes a paused stack down without a trace', async () => {
      const p = newProject('cop');
      ok(p, ['up', '-d', 'counter']);
      await sleep(500);
      expect(ok(p, ['pause', 'counter']).stderr).toContain(`paused 1 container(s): ${p}-counter-1`);
      expect(psState(p, 'counter')).toBe('paused');
      const frozen = counter(p);
      await sleep(700);
      expect(counter(p)).toBe(frozen);
      // exec waits for nothing in a frozen container: refused at once on embedded, by the engine on Docker.
      expect(run(p, ['exec', '-T', 'counter', 'true']).code).not.toBe(0);

      ok(p, ['unpause', 'counter']);
      expect(psState(p, 'counter')).toBe('running');
      await sleep(700);
      expect(counter(p)).toBeGreaterThan(frozen);

      ok(p, ['pause']);
      const started = Date.now();
      const down = ok(p, ['down', '-t', '30']);
      expect(down.stderr).toContain('1 container(s) removed');
      expect(Date.now() - started).toBeLessThan(20_000); // the stop signal reached it (thawed): the 30 s grace period was not waited out
      expect(target.leftovers(p)).toEqual([]);
    }, 120_000);

    it.runIf(target.name === 'embedded')('takes a paused stack down after its supervisor was SIGKILLed (the cleanup thaws before it kills)', () => {
      const p = newProject('cok');
      ok(p, ['up', '-d', 'box']);
      ok(p, ['pause', 'box']);
      const [supervisor] = supervisorPids(p, target.stateRoot());
      expect(supervisor).toBeDefined();
      process.kill(supervisor!, 'SIGKILL');
      ok(p, ['down', '-t', '1']);
      expect(target.leftovers(p)).toEqual([]);
    }, 120_000);

    it.runIf(target.runtime === 'embedded')('refuses to copy under a volume of a stopped container (the volume would hide it), and copies there while it runs', () => {
      const p = newProject('cov');
      ok(p, ['up', '-d', 'keeper']);
      const src = path.join(scene.dir, `vol-${p}`);
      fs.writeFileSync(src, 'in the volume\n');
      ok(p, ['cp', src, 'keeper:/data/f']);
      ok(p, ['stop', '-t', '1', 'keeper']);
      const refused = run(p, ['cp', src, 'keeper:/data/g']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('/data is mounted in the container only while it runs');
      ok(p, ['start', 'keeper']);
      expect(ok(p, ['exec', '-T', 'keeper', 'cat', '/data/f']).stdout).toBe('in the volume\n');
    }, 120_000);

    it("lists a container's processes with top", async () => {
      const p = newProject('cot');
      ok(p, ['up', '-d', 'box']);
      const listed = (): string[] => ok(p, ['top', 'box']).stdout.split('\n');
      let top = listed();
      // The shell forks its sleep a moment after the container starts.
      for (let i = 0; i < 10 && !top.some((l) => l.endsWith('sleep 600')); i++) {
        await sleep(300);
        top = listed();
      }
      expect(top[0]).toMatch(/^SERVICE\s+#\s+UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
      expect(top.some((line) => /^box\s+1\s+root\s+\d+\s+\d+\s.*sleep 600$/.test(line)), top.join('\n')).toBe(true);

      // With -p NAME and no stack file, as Compose takes it.
      const bare = fs.mkdtempSync(path.join(scene.dir, 'bare-'));
      target.handOver(bare);
      const alone = target.stack(['--runtime', target.runtime, '-p', p, 'top', 'box'], { cwd: bare });
      expect(alone.code, alone.stderr).toBe(0);
      expect(alone.stdout).toContain('sleep 600');
    }, 120_000);

    it('copies a file into a container and back with its content and mode, and into a stopped container', () => {
      const p = newProject('coc');
      ok(p, ['up', '-d', 'box']);
      const data = `payload ${randomBytes(8).toString('hex')}\n`;
      const src = path.join(scene.dir, `in-${p}.txt`);
      fs.writeFileSync(src, data);
      fs.chmodSync(src, 0o640);
      target.handOver(src); // the user's own file, as a user copies it
      ok(p, ['cp', src, 'box:/tmp/']);
      expect(ok(p, ['exec', '-T', 'box', 'sh', '-c', `stat -c %a /tmp/in-${p}.txt; cat /tmp/in-${p}.txt`]).stdout).toBe(`640\n${data}`);

      const back = path.join(scene.dir, `out-${p}.txt`);
      ok(p, ['cp', `box:/tmp/in-${p}.txt`, back]);
      expect(fs.readFileSync(back, 'utf8')).toBe(data);
      expect(fs.statSync(back).mode & 0o777).toBe(0o640);

      // A folder, with its contents, into a container that is not running.
      const folder = path.join(scene.dir, `tree-${p}`);
      fs.mkdirSync(path.join(folder, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(folder, 'sub', 'f'), 'deep\n');
      target.handOver(folder);
      ok(p, ['stop', '-t', '1', 'box']);
      ok(p, ['cp', folder, 'box:/tmp/tree']);
      ok(p, ['start', 'box']);
      expect(ok(p, ['exec', '-T', 'box', 'cat', '/tmp/tree/sub/f']).stdout).toBe('deep\n');
    }, 120_000);

    it('resolves a symlink to / inside the container: cp reads and writes the container, never the host', () => {
      const p = newProject('cos');
      ok(p, ['up', '-d', 'box']);
      ok(p, ['exec', '-T', 'box', 'sh', '-c', 'ln -s / /escape && echo inside > /etc/shadow']);
      const out = path.join(scene.dir, `shadow-${p}`);
      ok(p, ['cp', 'box:/escape/etc/shadow', out]);
      expect(fs.readFileSync(out, 'utf8')).toBe('inside\n');

      const name = `hafen-escape-${p}`;
      const src = path.join(scene.dir, 'marker');
      fs.writeFileSync(src, 'marker\n');
      ok(p, ['cp', src, `box:/escape/tmp/${name}`]);
      expect(fs.existsSync(path.join('/tmp', name))).toBe(false);
      expect(ok(p, ['exec', '-T', 'box', 'cat', `/tmp/${name}`]).stdout).toBe('marker\n');
    }, 120_000);

    it('waits for a container to stop and prints its exit code', () => {
      const p = newProject('cow');
      ok(p, ['up', '-d', 'job']);
      const r = run(p, ['wait', 'job']);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stdout.trim()).toBe(`${p}-job-1 exited with code 3`);

      // --down-project: the first container to stop takes the whole project down.
      ok(p, ['up', '-d', 'box', 'job']);
      const down = run(p, ['wait', '--down-project', 'job', 'box']);
      expect(down.code, down.stderr).toBe(3);
      expect(down.stdout.trim()).toBe(`${p}-job-1 exited with code 3`);
      expect(JSON.parse(ok(p, ['ps', '--json']).stdout)).toEqual([]);
      expect(target.leftovers(p)).toEqual([]);
    }, 120_000);

    it.skipIf(caveatOf(factory, 'cgroup-limits'))('shows a snapshot of stats with a memory number', () => {
      const p = newProject('cox');
      ok(p, ['up', '-d', 'box']);
      const lines = ok(p, ['stats', '--no-stream']).stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^CONTAINER\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+PIDS$/);
      expect(lines[1]).toMatch(new RegExp(`^${p}-box-1\\s+\\d+\\.\\d\\d%\\s+[1-9][\\d.]*(B|KiB|MiB|GiB) / [\\d.]+(B|KiB|MiB|GiB|TiB)\\s+\\d+\\.\\d\\d%\\s+[1-9]\\d*$`));
      const json = JSON.parse(ok(p, ['stats', '--no-stream', '--format', 'json', 'box']).stdout) as Record<string, string>;
      expect(json).toMatchObject({ Name: `${p}-box-1` });
      expect(json.MemUsage).toMatch(/^[1-9]/);
    }, 120_000);
  });
}

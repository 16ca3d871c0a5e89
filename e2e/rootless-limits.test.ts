/**
 * Limits for a user without root in a cgroup root delegated to it (issue 17): root makes a folder
 * under this host's memory, cpu, cpuacct, pids and freezer hierarchies and gives it to the user
 * `hafen-rootless` (src/testing/rootless-cgroup.ts), whose `up` then applies mem_limit, cpus and
 * pids_limit as root's does: no warning, the limits in the container's cgroup files (read from the
 * host), a fork bomb held at the pids limit, `stats` against the memory limit, pause/unpause;
 * `down -v` leaves no cgroup under the folder (and the leak check, which looks there too, finds
 * nothing), which the test removes even when it fails. Twice: a folder named by
 * HAFEN_CGROUP_PARENT, and the default `<hierarchy>/hafen-<uid>` with no HAFEN_CGROUP_PARENT. Only
 * on hosts whose controllers are on cgroup v1 hierarchies (this CI machine's); the v2 discovery is
 * unit-tested in rootless.test.ts.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroups } from '../src/runtime/embedded/cgroups/detect.js';
import { readProcStat } from '../src/runtime/embedded/process-info.js';
import { requireCommand, requireRoot, unmet, type Requirement } from '../src/testing/requirements.js';
import { DELEGATED_CONTROLLERS, delegateCgroupToRootlessUser, newDelegatedCgroupName, type DelegatedCgroup, type DelegatedController } from '../src/testing/rootless-cgroup.js';
import type { RootlessPlaces } from '../src/testing/rootless-leaks.js';
import { requireRootlessUser, rootlessUser, runAsRootlessUser } from '../src/testing/rootless-user.js';
import { cliPath } from './cli.js';
import { rootlessStackLeftovers } from './stack-leftovers.js';

/** Met when every controller the test delegates lives on a cgroup v1 hierarchy. */
function requireV1Controllers(): Requirement {
  return {
    name: 'cgroup v1 controllers',
    check: () => {
      const layout = detectCgroups();
      const off = DELEGATED_CONTROLLERS.filter((c) => layout.controllers[c]?.version !== 1);
      return off.length === 0 ? undefined : `cgroup v1 hierarchies for ${off.join(', ')} (this test delegates v1 folders)`;
    },
  };
}

// unmet() says what is missing (and fails under CI=true).
const missing = unmet(requireRoot(), requireCommand('busybox'), requireRootlessUser(), requireV1Controllers());

/**
 * The scenario with the cgroup `name()` (called once the user exists) given to the user; `parentEnv`
 * is HAFEN_CGROUP_PARENT for its runs ('' : unset, the runtime's default).
 */
function limitsIn(title: string, name: () => string, parentEnv: (name: string) => string, pool: string): void {
  describe.skipIf(missing)(title, () => {
    const project = `rll${randomBytes(4).toString('hex')}`;
    let cgroup: DelegatedCgroup;
    let base: string;
    let env: Record<string, string>;
    let work: string;
    let places: RootlessPlaces;

    const stack = (args: string[]) => {
      const r = runAsRootlessUser(process.execPath, ['--', cliPath, ...args], { env, cwd: work, timeoutMs: 90_000 });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    /** The container's cgroup folder under the delegated folder of `controller`. */
    const cgroupOf = (controller: DelegatedController) => path.join(cgroup.folders.get(controller)!, 'hafen', project, `${project}-box-1`);
    const read = (controller: DelegatedController, file: string) => fs.readFileSync(path.join(cgroupOf(controller), file), 'utf8').trim();

    beforeAll(() => {
      const user = rootlessUser();
      base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-rll-'));
      const runDir = path.join(base, 'run');
      work = path.join(base, 'work');
      for (const d of [path.join(base, 'data'), runDir, work]) {
        fs.mkdirSync(d, { mode: 0o700 });
        fs.chownSync(d, user.uid, user.gid);
      }
      fs.chmodSync(base, 0o755);
      cgroup = delegateCgroupToRootlessUser(name());
      fs.writeFileSync(
        path.join(work, 'stack.yaml'),
        [`name: ${project}`, 'services:', '  box:', '    image: host', '    command: ["sleep", "600"]', '    mem_limit: 64m', '    pids_limit: 20', '    cpus: 0.5', ''].join('\n'),
      );
      fs.chownSync(path.join(work, 'stack.yaml'), user.uid, user.gid);
      places = { dataRoot: path.join(base, 'data', 'hafen'), runtimeDir: runDir, cgroupParent: cgroup.name };
      env = { XDG_DATA_HOME: path.join(base, 'data'), XDG_RUNTIME_DIR: runDir, HAFEN_SUBNET_POOL: pool, HAFEN_CGROUP_PARENT: parentEnv(cgroup.name), NO_COLOR: '1' };
    });

    afterAll(() => {
      try {
        if (env) stack(['down', '-v', '-t', '1']);
        const holder = (() => {
          try {
            return (JSON.parse(fs.readFileSync(path.join(places.runtimeDir, 'hafen', 'userns.json'), 'utf8')) as { pid: number }).pid;
          } catch {
            return undefined;
          }
        })();
        if (holder !== undefined && /^[^ZX]/.test(readProcStat(holder)?.state ?? 'X')) process.kill(holder, 'SIGKILL');
      } finally {
        cgroup?.remove();
        if (base) fs.rmSync(base, { recursive: true, force: true });
      }
    }, 120_000);

    it('applies memory, cpus and pids as for root, with no warning; stats, pause and unpause work; down -v leaves no cgroup', () => {
      const up = stack(['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr).not.toMatch(/limits not applied|warning/);

      // The limits, in the container's own cgroup files under the delegated folders (read as root from the host).
      expect(read('memory', 'memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
      expect(read('pids', 'pids.max')).toBe('20');
      expect(read('cpu', 'cpu.cfs_quota_us')).toBe('50000');
      expect(read('cpu', 'cpu.cfs_period_us')).toBe('100000');
      // The container's process is in them, not in root's <hierarchy>/hafen.
      const pids = read('memory', 'cgroup.procs').split('\n').filter(Boolean);
      expect(pids.length).toBeGreaterThan(0);
      expect(fs.readFileSync(`/proc/${pids[0]}/cgroup`, 'utf8')).toContain(`:memory:/${cgroup.name}/hafen/${project}/${project}-box-1\n`);

      // A fork bomb stops at the limit: 40 sleeps asked for, the cgroup never holds more than 20 tasks.
      const bomb = stack(['exec', 'box', 'sh', '-c', 'for i in $(seq 40); do sleep 300 >/dev/null 2>&1 & done; echo started']);
      expect(`${bomb.stdout}${bomb.stderr}`).toMatch(/fork|Resource temporarily unavailable|Cannot/i);
      expect(Number(read('pids', 'pids.current'))).toBeLessThanOrEqual(20);
      expect(Number(read('pids', 'pids.current'))).toBeGreaterThanOrEqual(15);

      // stats: memory against the 64 MiB limit.
      const stats = stack(['stats', '--no-stream', '--format', 'json', 'box']);
      expect(stats.code, stats.stderr).toBe(0);
      expect((JSON.parse(stats.stdout) as { MemUsage: string }).MemUsage).toMatch(/^[1-9][\d.]*(B|KiB|MiB) \/ 64MiB$/);

      // pause / unpause through the delegated freezer folder.
      const pause = stack(['pause', 'box']);
      expect(pause.code, pause.stderr).toBe(0);
      expect(read('freezer', 'freezer.state')).toBe('FROZEN');
      expect((JSON.parse(stack(['ps', '--format', 'json', 'box']).stdout.trim()) as { State: string }).State).toBe('paused');
      const unpause = stack(['unpause', 'box']);
      expect(unpause.code, unpause.stderr).toBe(0);
      expect(read('freezer', 'freezer.state')).toBe('THAWED');

      const down = stack(['down', '-v', '-t', '1']);
      expect(down.code, down.stderr).toBe(0);
      expect(cgroup.children()).toEqual([]);
      expect(rootlessStackLeftovers(project, places)).toEqual([]);
      for (const dir of new Set(cgroup.folders.values())) expect(`${dir}: ${fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).join(' ')}`).toBe(`${dir}: `);
    }, 180_000);
  });
}

limitsIn('rootless: limits in a cgroup delegated by root, named by HAFEN_CGROUP_PARENT', newDelegatedCgroupName, (name) => name, '10.218.0.0/17:24');
// The default a user's runtime takes on v1 with no HAFEN_CGROUP_PARENT (the test user's environment
// names a missing one unless told: rootless-user.ts NO_CGROUP_PARENT).
limitsIn('rootless: limits in the default <hierarchy>/hafen-<uid>, no HAFEN_CGROUP_PARENT', () => `hafen-${rootlessUser().uid}`, () => '', '10.218.128.0/17:24');

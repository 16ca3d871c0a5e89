/**
 * Limits for a user without root in a cgroup root delegated to it (issue 17): root makes a
 * `hafen-<id>` folder under this host's memory, cpu, cpuacct, pids and freezer hierarchies and
 * gives them to the user `hafen-rootless` (src/testing/rootless-user.ts), whose `up` with
 * HAFEN_CGROUP_PARENT=hafen-<id> then applies mem_limit, cpus and pids_limit as root's does:
 * no warning, the limits in the container's cgroup files (read from the host), a fork bomb held at
 * the pids limit, `stats` against the memory limit, pause/unpause; `down -v` leaves no cgroup under
 * the folders, which the test removes even when it fails. Only on hosts whose controllers are on
 * cgroup v1 hierarchies (this CI machine's); the v2 discovery is unit-tested in rootless.test.ts.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroups } from '../src/runtime/embedded/cgroups/detect.js';
import { readProcStat } from '../src/runtime/embedded/process-info.js';
import { requireCommand, requireRoot, unmet, type Requirement } from '../src/testing/requirements.js';
import { requireRootlessUser, rootlessUser, runAsRootlessUser } from '../src/testing/rootless-user.js';
import { cliPath } from './cli.js';

const LIMITED = ['memory', 'cpu', 'cpuacct', 'pids', 'freezer'] as const;

/** Met when every controller the test delegates lives on a cgroup v1 hierarchy. */
function requireV1Controllers(): Requirement {
  return {
    name: 'cgroup v1 controllers',
    check: () => {
      const layout = detectCgroups();
      const off = LIMITED.filter((c) => layout.controllers[c]?.version !== 1);
      return off.length === 0 ? undefined : `cgroup v1 hierarchies for ${off.join(', ')} (this test delegates v1 folders)`;
    },
  };
}

// unmet() says what is missing (and fails under CI=true).
const missing = unmet(requireRoot(), requireCommand('busybox'), requireRootlessUser(), requireV1Controllers());

describe.skipIf(missing)('rootless: limits in a cgroup delegated by root (HAFEN_CGROUP_PARENT)', () => {
  const id = randomBytes(4).toString('hex');
  const project = `rll${id}`;
  const parent = `hafen-rlt${id}`;
  let base: string;
  let env: Record<string, string>;
  let work: string;
  let runDir: string;
  /** The delegated folder of each hierarchy used (cpu and cpuacct may share one). */
  const folders = new Map<(typeof LIMITED)[number], string>();

  const stack = (args: string[]) => {
    const r = runAsRootlessUser(process.execPath, ['--', cliPath, ...args], { env, cwd: work, timeoutMs: 90_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  /** The container's cgroup folder under the delegated folder of `controller`. */
  const cgroupOf = (controller: (typeof LIMITED)[number]) => path.join(folders.get(controller)!, 'hafen', project, `${project}-box-1`);
  const read = (controller: (typeof LIMITED)[number], file: string) => fs.readFileSync(path.join(cgroupOf(controller), file), 'utf8').trim();

  /** Kills what is left in a folder's cgroups (deepest first) and removes them, then the folder. */
  const removeFolder = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    const subdirs = (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((d) => d.isDirectory()).map((d) => path.join(d.parentPath, d.name));
    for (const d of [...subdirs.sort((a, b) => b.length - a.length), dir]) {
      for (const pid of fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone already
        }
      }
      for (let i = 0; i < 50; i++) {
        try {
          fs.rmdirSync(d);
          break;
        } catch {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        }
      }
    }
  };

  beforeAll(() => {
    const user = rootlessUser();
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-rll-'));
    runDir = path.join(base, 'run');
    work = path.join(base, 'work');
    for (const d of [path.join(base, 'data'), runDir, work]) {
      fs.mkdirSync(d, { mode: 0o700 });
      fs.chownSync(d, user.uid, user.gid);
    }
    fs.chmodSync(base, 0o755);
    const layout = detectCgroups();
    for (const c of LIMITED) {
      const dir = path.join(layout.controllers[c]!.mount, parent);
      folders.set(c, dir);
      if (fs.existsSync(dir)) continue;
      fs.mkdirSync(dir);
      // What delegating a v1 folder takes: the folder (to make children) and its cgroup.procs (to move processes in).
      fs.chownSync(dir, user.uid, user.gid);
      fs.chownSync(path.join(dir, 'cgroup.procs'), user.uid, user.gid);
      fs.chownSync(path.join(dir, 'tasks'), user.uid, user.gid);
    }
    fs.writeFileSync(
      path.join(work, 'stack.yaml'),
      [`name: ${project}`, 'services:', '  box:', '    image: host', '    command: ["sleep", "600"]', '    mem_limit: 64m', '    pids_limit: 20', '    cpus: 0.5', ''].join('\n'),
    );
    fs.chownSync(path.join(work, 'stack.yaml'), user.uid, user.gid);
    env = { XDG_DATA_HOME: path.join(base, 'data'), XDG_RUNTIME_DIR: runDir, HAFEN_SUBNET_POOL: '10.218.0.0/16:24', HAFEN_CGROUP_PARENT: parent, NO_COLOR: '1' };
  });

  afterAll(() => {
    try {
      if (env) stack(['down', '-v', '-t', '1']);
      const holder = (() => {
        try {
          return (JSON.parse(fs.readFileSync(path.join(runDir, 'hafen', 'userns.json'), 'utf8')) as { pid: number }).pid;
        } catch {
          return undefined;
        }
      })();
      if (holder !== undefined && /^[^ZX]/.test(readProcStat(holder)?.state ?? 'X')) process.kill(holder, 'SIGKILL');
    } finally {
      for (const dir of new Set(folders.values())) removeFolder(dir);
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
    expect(fs.readFileSync(`/proc/${pids[0]}/cgroup`, 'utf8')).toContain(`:memory:/${parent}/hafen/${project}/${project}-box-1\n`);

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
    for (const dir of new Set(folders.values())) expect(`${dir}: ${fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).join(' ')}`).toBe(`${dir}: `);
  }, 180_000);
});

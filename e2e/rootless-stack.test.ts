/**
 * The embedded runtime for a user without root (issue 17), driven as that user (`hafen-rootless`,
 * src/testing/rootless-user.ts) through the built CLI: a stack of busybox services with no
 * published ports comes up in the user's namespaces, the services reach each other by name, ps,
 * logs and exec work, and `down -v` leaves nothing of the user's: no process in its namespaces,
 * no holder, no mount, no state but the image store; root's /var/lib/hafen is not touched.
 * Each run has its own XDG folders, so other tests running as the same user do not meet it.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireRoot, unmet } from '../src/testing/requirements.js';
import { requireRootlessUser, rootlessUser } from '../src/testing/rootless-user.js';
import { findLeaks } from '../src/testing/leaks.js';
import { readProcStat } from '../src/runtime/embedded/process-info.js';
import { saveBusyboxArchiveWithAppDir } from './rootless-archive.js';
import { userScenario, type UserScenario } from './rootless-scenario.js';

const ready = !unmet(requireRoot(), requireCommand('busybox'), requireRootlessUser());

/** The subordinate id a file owned by `inside` (1..65536) in an image has on the host. */
function hostIdOf(inside: number, user: string): number {
  const line = fs.readFileSync('/etc/subuid', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`))!;
  return Number(line.split(':')[1]) + inside - 1;
}

/** The user-namespace inode of `pid`, or undefined when it is gone. */
function userNs(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/user`);
  } catch {
    return undefined;
  }
}

/**
 * Processes (pid and command line) that live in the user namespace `ns`. A zombie is left out: it
 * holds nothing any more, and whoever adopted it (this machine's init) reaps it in its own time.
 */
function processesIn(ns: string): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    if (userNs(Number(pid)) !== ns) continue;
    const stat = readProcStat(Number(pid));
    if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      continue;
    }
    out.push(`process ${pid} ${cmd}`);
  }
  return out;
}

/** Every file and folder under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe.skipIf(!ready)('rootless: a busybox stack as a user without root (embedded runtime)', () => {
  const id = randomBytes(4).toString('hex');
  const project = `rl${id}`;
  let scene: UserScenario | undefined;
  let base: string;
  let env: Record<string, string>;
  let dataRoot: string;
  let runDir: string;
  let work: string;
  let holderPid: number | undefined;
  let holderNs: string | undefined;
  const rootProjects = '/var/lib/hafen/projects';
  const rootHadProject = () => fs.existsSync(path.join(rootProjects, project));

  /** `stack ...args` as the user, in the stack's folder. */
  const stack = (args: string[], timeoutMs = 90_000) => scene!.stack(args, { timeoutMs });

  beforeAll(async () => {
    const user = rootlessUser();
    scene = userScenario('hafen-rootless-', '10.213.0.0/16:24');
    ({ dir: base, dataRoot, run: runDir, work, env } = scene);
    // A docker-archive of busybox with a folder owned by uid 1000, made by root in a store of its own.
    await saveBusyboxArchiveWithAppDir(base, `${project}-bb:1`, path.join(work, 'bb.tar'));
    fs.writeFileSync(
      path.join(work, 'stack.yaml'),
      [
        `name: ${project}`,
        'services:',
        '  web:',
        '    image: docker-archive:./bb.tar',
        '    command: ["sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && echo web listening && exec httpd -f -p 8080 -h /www"]',
        '  client:',
        '    image: host',
        '    command: ["sh", "-c", "echo client up; exec sleep 1000"]',
        '    resources: {pids: 200}',
        '',
      ].join('\n'),
    );
    for (const entry of fs.readdirSync(work).map((f) => path.join(work, f))) fs.chownSync(entry, user.uid, user.gid);
  }, 120_000);

  afterAll(() => {
    if (!env) return;
    stack(['down', '-v', '-t', '1']);
    if (holderPid !== undefined && userNs(holderPid) === holderNs) spawnSync('kill', ['-KILL', String(holderPid)]);
    scene?.remove();
  }, 120_000);

  it('comes up, answers ps, logs, top and exec, reaches services by name, and down -v leaves nothing of the user', () => {
    const user = rootlessUser();
    // --strict-limits refuses the limit no cgroup can hold, before anything is made.
    const strict = stack(['up', '-d', '--strict-limits']);
    expect(strict.code, strict.stderr).toBe(2);
    expect(strict.stderr).toContain(
      `error: limits cannot be applied to client (pids): a user without root may only set limits in a cgroup delegated to it, and none is writable (root: mkdir <hierarchy>/hafen-${rootlessUser().uid} for each of memory, cpu, pids and chown it to you, or any folder named by HAFEN_CGROUP_PARENT=NAME; on cgroup v2, run under a systemd user session with Delegate=yes); --strict-limits refuses to start without them\n`,
    );
    expect(fs.existsSync(path.join(dataRoot, 'projects', project))).toBe(false);
    expect(fs.existsSync(path.join(runDir, 'hafen'))).toBe(false);

    const up = stack(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).not.toContain('using the docker runtime');
    // No cgroup is delegated to the user here: its one limit is named as not applied, once.
    expect(up.stderr.match(/^warning: limits not applied to .*$/gm)).toEqual([
      `warning: limits not applied to client (pids): a user without root may only set limits in a cgroup delegated to it, and none is writable (root: mkdir <hierarchy>/hafen-${rootlessUser().uid} for each of memory, cpu, pids and chown it to you, or any folder named by HAFEN_CGROUP_PARENT=NAME; on cgroup v2, run under a systemd user session with Delegate=yes)`,
    ]);

    // The holder: a process of the user (not root) in a user namespace of its own.
    const record = JSON.parse(fs.readFileSync(path.join(runDir, 'hafen', 'userns.json'), 'utf8')) as { pid: number };
    holderPid = record.pid;
    holderNs = userNs(holderPid);
    expect(fs.statSync(`/proc/${holderPid}`).uid).toBe(user.uid);
    expect(holderNs).not.toBe(fs.readlinkSync('/proc/self/ns/user'));
    expect(fs.readFileSync(`/proc/${holderPid}/uid_map`, 'utf8').trim().split(/\s+/).slice(0, 3)).toEqual(['0', String(user.uid), '1']);

    // State under the user's data folder, nothing under root's.
    expect(fs.existsSync(path.join(dataRoot, 'projects', project))).toBe(true);
    expect(rootHadProject()).toBe(false);

    const ps = stack(['ps', '--format', 'json']);
    expect(ps.code, ps.stderr).toBe(0);
    const rows = ps.stdout.trim().split('\n').map((l) => JSON.parse(l) as { Service: string; State: string });
    expect(rows.map((r) => [r.Service, r.State]).sort()).toEqual([
      ['client', 'running'],
      ['web', 'running'],
    ]);

    // By name over the stack network, from the host-image service to the imported one.
    let fetched = '';
    for (let i = 0; i < 20 && !fetched.includes('hello-from-web'); i++) {
      fetched = stack(['exec', 'client', 'busybox', 'wget', '-qO-', 'http://web:8080/']).stdout;
      if (!fetched.includes('hello-from-web')) spawnSync('sleep', ['0.1']);
    }
    expect(fetched).toBe('hello-from-web\n');

    const logs = stack(['logs', '--no-color']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('web listening');
    expect(logs.stdout).toContain('client up');

    // No cgroup here: top lists the container's process tree instead.
    const top = stack(['top', 'web']);
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toMatch(/httpd -f -p 8080 -h \/www/);

    // The image's uid 1000 is uid 1000 inside, and the user's subordinate id on the host.
    const owner = stack(['exec', 'web', 'stat', '-c', '%u:%g', '/home/app']);
    expect(owner.stdout.trim(), owner.stderr).toBe('1000:1000');
    const layerDirs = fs.readdirSync(path.join(dataRoot, 'images', 'layers')).map((l) => path.join(dataRoot, 'images', 'layers', l, 'diff', 'home', 'app'));
    const unpacked = layerDirs.find((d) => fs.existsSync(d));
    expect(unpacked).toBeDefined();
    expect(fs.statSync(unpacked!).uid).toBe(hostIdOf(1000, user.name));

    const down = stack(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);

    // Nothing of the user's is left: no process in its namespace (the holder gone with it), no
    // mount or link of the project on the host, no runtime folder, no state but the image store.
    expect(processesIn(holderNs!)).toEqual([]);
    expect(readProcStat(holderPid)?.state ?? 'gone').toMatch(/^(gone|Z)$/);
    expect(findLeaks(project, { root: dataRoot })).toEqual([]);
    expect(fs.existsSync(path.join(runDir, 'hafen'))).toBe(false);
    expect(fs.readdirSync(dataRoot)).toEqual(['images']);
    expect(tree(path.join(dataRoot, 'images', 'tmp'))).toEqual([]);
    expect(rootHadProject()).toBe(false);
  }, 240_000);
  it('builds an image with RUN steps as the user, runs it one-off, and leaves only the image store', () => {
    const user = rootlessUser();
    const app = path.join(work, 'built');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'Dockerfile'), ['FROM host', 'RUN mkdir -p /opt/x && echo built-by-user > /opt/x/f && chown 1000:1000 /opt/x/f', 'CMD ["sh", "-c", "cat /opt/x/f; stat -c %u /opt/x/f"]', ''].join('\n'));
    fs.writeFileSync(path.join(work, 'build.yaml'), [`name: ${project}b`, 'services:', '  app:', '    build: ./built', ''].join('\n'));
    for (const f of [app, path.join(app, 'Dockerfile'), path.join(work, 'build.yaml')]) fs.chownSync(f, user.uid, user.gid);
    const built = stack(['-f', 'build.yaml', 'build']);
    expect(built.code, built.stderr).toBe(0);
    const run = stack(['-f', 'build.yaml', 'run', '--rm', 'app']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('built-by-user\n1000\n');
    // The file the RUN step gave to uid 1000 belongs to the user's subordinate id on the host.
    const layers = path.join(dataRoot, 'images', 'layers');
    const file = fs.readdirSync(layers).map((l) => path.join(layers, l, 'diff', 'opt', 'x', 'f')).find((f) => fs.existsSync(f));
    expect(file && fs.statSync(file).uid).toBe(hostIdOf(1000, user.name));
    const down = stack(['-f', 'build.yaml', 'down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    expect(findLeaks(`${project}b`, { root: dataRoot })).toEqual([]);
    expect(fs.existsSync(path.join(runDir, 'hafen'))).toBe(false);
    expect(fs.readdirSync(dataRoot)).toEqual(['images']);
    expect(rootHadProject()).toBe(false);
  }, 240_000);
});

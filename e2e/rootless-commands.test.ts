/**
 * The embedded runtime's commands and images for a user without root (issue 17), driven as that
 * user (`hafen-rootless`, src/testing/rootless-user.ts) through the built CLI, with its own XDG
 * folders: images from a registry, a docker-archive, an OCI layout made by skopeo and one made by
 * umoci, and `image: host`, each keeping the image's uid 1000 as 1000 inside; logs --follow, exec
 * (and exec -it under a real terminal), run --strict-limits and x-hafen-strict-limits, stats and pause without a delegated
 * cgroup, dash in tmux, the supervisor's socket under $XDG_RUNTIME_DIR, the runtime chosen (and
 * why) where user namespaces are off, which commands move into the user's namespaces, and the
 * hand-over of the namespace holder between a command ending the last project and one beginning.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skopeoCopy, startRegistry, type TestRegistry } from '../src/runtime/embedded/registry/fixtures/test-registry.js';
import { requireCommand, requireRoot, unmet } from '../src/testing/requirements.js';
import { requireRootlessUser, rootlessCommand, rootlessUser, runAsRootlessUser } from '../src/testing/rootless-user.js';
import { findLeaks } from '../src/testing/leaks.js';
import { readProcStat } from '../src/runtime/embedded/process-info.js';
import { cliPath, repoRoot } from './cli.js';
import { saveBusyboxArchiveWithAppDir } from './rootless-archive.js';
import { userScenario, type UserScenario } from './rootless-scenario.js';

// unmet() says what is missing (and fails under CI=true).
const missing = unmet(requireRoot(), requireCommand('busybox'), requireCommand('skopeo'), requireCommand('umoci'), requireCommand('docker-registry'), requireCommand('tmux'), requireCommand('script'), requireCommand('strace'), requireRootlessUser());

/** Every file and folder under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

function chownTree(dir: string, uid: number, gid: number): void {
  fs.chownSync(dir, uid, gid);
  for (const entry of tree(dir)) fs.lchownSync(path.join(dir, entry), uid, gid);
}

describe.skipIf(missing)('rootless: commands and images as a user without root (embedded runtime)', () => {
  const id = randomBytes(4).toString('hex');
  const project = `rlc${id}`;
  let scene: UserScenario | undefined;
  let base: string;
  let env: Record<string, string>;
  let dataRoot: string;
  let runDir: string;
  let work: string;
  let registry: TestRegistry | undefined;
  const projects = new Set<string>();

  /** `stack ...args` as the user, in the work folder. */
  const stack = (args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}) => scene!.stack(args, { timeoutMs: 90_000, ...options });
  /** The holder's pid as recorded, or undefined. */
  const holderPid = (): number | undefined => scene?.holder()?.pid;
  const alive = (pid: number | undefined) => pid !== undefined && /^[^ZX]/.test(readProcStat(pid)?.state ?? 'X');

  beforeAll(async () => {
    const user = rootlessUser();
    scene = userScenario('hafen-rlc-', '10.217.0.0/16:24');
    ({ dir: base, dataRoot, run: runDir, work } = scene);
    // busybox with /home/app owned by uid 1000, as a docker-archive (made by root in a store of its own).
    const bare = path.join(base, 'bare');
    const archive = path.join(work, 'bb.tar');
    await saveBusyboxArchiveWithAppDir(base, `${project}-bb:1`, archive, bare);
    // An OCI layout by skopeo, one by umoci (made from nothing, the rootfs repacked), and the registry.
    execFileSync('skopeo', ['copy', '--quiet', `docker-archive:${archive}`, `oci:${path.join(work, 'skopeo')}:bb`]);
    const umoci = path.join(work, 'umoci');
    const bundle = path.join(base, 'umoci-bundle');
    execFileSync('umoci', ['init', '--layout', umoci]);
    execFileSync('umoci', ['new', '--image', `${umoci}:latest`]);
    execFileSync('umoci', ['unpack', '--image', `${umoci}:latest`, bundle]);
    fs.rmSync(path.join(bundle, 'rootfs'), { recursive: true });
    fs.cpSync(bare, path.join(bundle, 'rootfs'), { recursive: true, verbatimSymlinks: true });
    fs.chownSync(path.join(bundle, 'rootfs/home/app'), 1000, 1000);
    execFileSync('umoci', ['repack', '--image', `${umoci}:latest`, bundle]);
    execFileSync('umoci', ['config', '--image', `${umoci}:latest`, '--config.env', 'PATH=/bin', '--config.cmd', 'sh']);
    registry = await startRegistry(path.join(base, 'registry'));
    await skopeoCopy(`docker-archive:${archive}`, `docker://${registry.host}/hafen/bb:1`);
    chownTree(work, user.uid, user.gid);
    env = Object.assign(scene.env, { TMUX_TMPDIR: runDir });
  }, 180_000);

  afterAll(async () => {
    if (env) {
      for (const p of projects) stack(['-p', p, 'down', '-v', '-t', '1']);
      runAsRootlessUser('tmux', ['-L', project, 'kill-server'], { env });
      const pid = holderPid();
      if (alive(pid)) spawnSync('kill', ['-KILL', String(pid)]);
    }
    await registry?.stop();
    scene?.remove();
  }, 180_000);

  /** Writes `name` in the work folder (owned by the user). */
  const writeFile = (name: string, lines: string[]) => {
    const file = path.join(work, name);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    fs.chownSync(file, rootlessUser().uid, rootlessUser().gid);
  };

  it('refuses --strict-limits on run in one line (exit 2) and makes nothing, then runs without the limit, saying so', () => {
    writeFile('limits.yaml', [`name: ${project}l`, 'services:', '  capped:', '    image: host', '    command: ["echo", "ran"]', '    resources: {memory: 64m}']);
    projects.add(`${project}l`);
    const strict = stack(['-f', 'limits.yaml', 'run', '--rm', '--strict-limits', 'capped']);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toBe(
      `error: limits cannot be applied to capped (memory): a user without root may only set limits in a cgroup delegated to it, and none is writable (root: mkdir <hierarchy>/hafen-${rootlessUser().uid} for each of memory, cpu, pids and chown it to you, or any folder named by HAFEN_CGROUP_PARENT=NAME; on cgroup v2, run under a systemd user session with Delegate=yes); --strict-limits refuses to start without them\n`,
    );
    expect(fs.existsSync(path.join(dataRoot, 'projects', `${project}l`))).toBe(false);
    expect(fs.existsSync(path.join(runDir, 'hafen'))).toBe(false); // the holder made for the command is gone with it
    const run = stack(['-f', 'limits.yaml', 'run', '--rm', 'capped']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('ran\n');
    expect(run.stderr.match(/^warning: limits not applied.*$/gm)).toHaveLength(1);
    expect(stack(['-f', 'limits.yaml', 'down']).code).toBe(0);
    expect(fs.existsSync(path.join(runDir, 'hafen'))).toBe(false);
  }, 120_000);

  it('refuses up when the file says x-hafen-strict-limits: true, naming the key\'s place (exit 2), and makes nothing', () => {
    writeFile('strict.yaml', [`name: ${project}s`, 'x-hafen-strict-limits: true', 'services:', '  capped:', '    image: host', '    command: ["sleep", "60"]', '    pids_limit: 20']);
    projects.add(`${project}s`);
    const up = stack(['-f', 'strict.yaml', 'up', '-d']);
    expect(up.code).toBe(2);
    expect(up.stderr).toBe(
      `error: strict.yaml:2:1 x-hafen-strict-limits: limits cannot be applied to capped (pids): a user without root may only set limits in a cgroup delegated to it, and none is writable (root: mkdir <hierarchy>/hafen-${rootlessUser().uid} for each of memory, cpu, pids and chown it to you, or any folder named by HAFEN_CGROUP_PARENT=NAME; on cgroup v2, run under a systemd user session with Delegate=yes); it refuses to start without them\n`,
    );
    expect(fs.existsSync(path.join(dataRoot, 'projects', `${project}s`))).toBe(false);
    expect(fs.existsSync(path.join(runDir, 'hafen'))).toBe(false);
  }, 120_000);

  it('refuses a bad file as before the move (exit 2, file:line:col, one error), leaving nothing: no holder, no state', () => {
    writeFile('bad.yaml', [`name: ${project}x`, 'services:', '  s:', '    image: host', '    restart: sometimes']);
    for (const args of [['-f', 'bad.yaml', 'up', '-d'], ['-f', 'bad.yaml', 'run', '--rm', 's'], ['-f', 'bad.yaml', 'ps']]) {
      const r = stack(args);
      expect(`${args[2]} ${r.code}`).toBe(`${args[2]} 2`);
      expect(r.stderr).toMatch(/^error: .*bad\.yaml:5:\d+ services\.s\.restart\b.*\n$/);
      expect(r.stdout).toBe('');
    }
    expect(fs.existsSync(path.join(dataRoot, 'projects'))).toBe(false);
    expect(fs.existsSync(path.join(runDir, 'hafen'))).toBe(false);
  }, 60_000);

  it('moves a command whose file names `runtime:` once the file is loaded: up, exec and down work, the limits line said once', () => {
    writeFile('late.yaml', [`name: ${project}m`, 'runtime: embedded', 'services:', '  a:', '    image: host', '    command: ["sleep", "1000"]', '    resources: {pids: 100}']);
    projects.add(`${project}m`);
    const up = stack(['-f', 'late.yaml', 'up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr.match(/^warning: limits not applied.*$/gm)).toHaveLength(1);
    expect(stack(['-f', 'late.yaml', 'exec', 'a', 'id', '-u']).stdout).toBe('0\n');
    const down = stack(['-f', 'late.yaml', 'down', '-t', '1']);
    expect(down.code, down.stderr).toBe(0);
    expect(findLeaks(`${project}m`, { root: dataRoot })).toEqual([]);
    expect(fs.existsSync(path.join(runDir, 'hafen'))).toBe(false);
  }, 90_000);

  it('says why it takes Docker where user namespaces are off (no sysctl of the host: a namespace whose user.max_user_namespaces is 0)', () => {
    const user = rootlessUser();
    const inner = ['env', '-i', `HOME=${user.home}`, 'PATH=/usr/bin:/bin', `XDG_RUNTIME_DIR=${runDir}`, `XDG_DATA_HOME=${path.join(base, 'data')}`, 'NO_COLOR=1', process.execPath, '--', cliPath, '-p', `${project}d`, 'ps'];
    const [cmd, ...args] = rootlessCommand('unshare', ['--user', `--map-user=${user.uid}`, `--map-group=${user.gid}`, '--keep-caps', 'sh', '-c', 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', 'sh', ...inner]);
    const r = spawnSync(cmd!, args, { encoding: 'utf8', cwd: work });
    expect(r.stderr.split('\n')[0]).toBe(`using the docker runtime: the embedded runtime needs root or user namespaces for uid ${user.uid}, and user namespaces are disabled (user.max_user_namespaces = 0)`);
    expect(fs.existsSync(path.join(runDir, 'hafen'))).toBe(false); // no holder was tried
  }, 60_000);

  it('pulls from a registry, imports docker-archive and OCI layouts (skopeo, umoci), runs image: host; uid 1000 of each image is 1000 inside', () => {
    writeFile('stack.yaml', [
      `name: ${project}`,
      'services:',
      '  reg:',
      `    image: ${registry!.host}/hafen/bb:1`,
      '    command: ["sh", "-c", "i=0; while true; do echo tick $$i; i=$$((i+1)); sleep 0.2; done"]',
      '  arch:',
      '    image: docker-archive:./bb.tar',
      '    command: ["sleep", "1000"]',
      '  sko:',
      '    image: oci:./skopeo:bb',
      '    command: ["sleep", "1000"]',
      '  umo:',
      '    image: oci:./umoci:latest',
      '    command: ["sleep", "1000"]',
      '  hst:',
      '    image: host',
      '    command: ["sleep", "1000"]',
    ]);
    projects.add(project);
    const pull = stack(['pull']);
    expect(pull.code, pull.stderr).toBe(0);
    const up = stack(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).not.toContain('using the docker runtime');
    for (const service of ['reg', 'arch', 'sko', 'umo']) {
      const owner = stack(['exec', service, 'stat', '-c', '%u:%g', '/home/app']);
      expect(`${service} ${owner.stdout.trim()}`, owner.stderr).toBe(`${service} 1000:1000`);
    }
    const host = stack(['exec', 'hst', 'sh', '-c', 'test -x /usr/bin/env && id -u']);
    expect(host.stdout, host.stderr).toBe('0\n');
  }, 240_000);

  it('keeps the supervisor socket under $XDG_RUNTIME_DIR/hafen, none in the state folder', () => {
    const sockets = fs.readdirSync(path.join(runDir, 'hafen')).filter((f) => f.endsWith('.sock'));
    expect(sockets).toEqual([expect.stringMatching(new RegExp(`^${project}-[0-9a-f]{8}\\.sock$`))]);
    expect(fs.statSync(path.join(runDir, 'hafen', sockets[0]!)).isSocket()).toBe(true);
    expect(fs.existsSync(path.join(dataRoot, 'projects', project, 'supervisor.sock'))).toBe(false);
    const ps = stack(['ps', '--format', 'json']);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { Service: string; State: string }).State)).toEqual(['running', 'running', 'running', 'running', 'running']);
  }, 60_000);

  it('moves only the commands that need it into the user namespace: ps, port, config, logs and top stay outside', () => {
    // A command that moves runs `hafen-run userns-join`; strace (as the user, of its own processes) sees that exec or its absence.
    const joins = (args: string[]) => {
      const r = runAsRootlessUser('strace', ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', process.execPath, '--', cliPath, ...args], { env, cwd: work });
      return `${args[0]} ${r.stderr.split('\n').filter((l) => l.includes('execve(') && l.includes('"userns-join"')).length}`;
    };
    for (const args of [['ps'], ['config', '--quiet'], ['port', 'reg', '80'], ['logs', '--tail', '1', 'reg'], ['top', 'reg']]) expect(joins(args)).toBe(`${args[0]} 0`);
    for (const args of [['exec', 'hst', 'true'], ['kill', '-s', 'CONT', 'hst']]) expect(joins(args)).toBe(`${args[0]} 1`);
  }, 120_000);

  it('follows logs, runs exec -it under a real terminal, and refuses stats and pause without a delegated cgroup, saying why', async () => {
    // logs --follow: new lines keep coming until it is stopped.
    const [logsCmd, ...logsArgs] = rootlessCommand(process.execPath, ['--', cliPath, 'logs', '--follow', '--no-color', 'reg']);
    const follower = spawn(logsCmd!, logsArgs, { cwd: work, env: { ...rootlessUser().env, ...env } });
    let followed = '';
    follower.stdout.on('data', (d: Buffer) => (followed += d.toString()));
    const first = () => Number(/tick (\d+)/.exec(followed)?.[1]);
    const last = () => Math.max(...[...followed.matchAll(/tick (\d+)/g)].map((m) => Number(m[1])));
    for (let i = 0; i < 100 && !(last() >= first() + 5); i++) await new Promise((r) => setTimeout(r, 100));
    follower.kill('SIGINT');
    expect(last()).toBeGreaterThanOrEqual(first() + 5);

    // exec -it under `script` (a pty): the container's shell has a terminal.
    const tty = runAsRootlessUser('script', ['-qec', `${process.execPath} -- ${cliPath} exec -it hst sh -c 'test -t 0 && test -t 1 && echo has-a-tty; id -u'`, '/dev/null'], { env, cwd: work });
    expect(tty.status, tty.stderr).toBe(0);
    // (The terminal may echo a ^@ for the end of script's input, /dev/null, wherever it falls.)
    expect(tty.stdout.replaceAll('\r', '').replaceAll('^@', '')).toBe('has-a-tty\n0\n');

    const why = 'it has no cgroup, as a user without root gets one only in a cgroup delegated to it (root: mkdir <hierarchy>/hafen-<uid> and chown it to you, or name one with HAFEN_CGROUP_PARENT), and none is';
    const stats = stack(['stats', '--no-stream', 'hst']);
    expect(stats.code).toBe(1);
    expect(stats.stderr).toBe(`error: container ${project}-hst-1: cannot show its stats: ${why}\n`);
    const pause = stack(['pause', 'hst']);
    expect(pause.code).toBe(1);
    expect(pause.stderr).toBe(`error: container ${project}-hst-1: cannot pause it: ${why}\n`);
    const ps = stack(['ps', '--format', 'json', 'hst']);
    expect((JSON.parse(ps.stdout.trim()) as { State: string }).State).toBe('running');
  }, 120_000);

  it('shows the stack in dash (tmux) and quits on q', async () => {
    const tmux = (...args: string[]) => {
      const r = runAsRootlessUser('tmux', ['-L', project, ...args], { env: { ...env, TERM: 'xterm-256color' }, cwd: work });
      return r.stdout;
    };
    const envArgs = Object.entries({ ...env, TERM: 'xterm-256color' }).map(([k, v]) => `${k}=${v}`);
    tmux('new-session', '-d', '-s', 'dash', '-x', '140', '-y', '30', 'env', '-u', 'CI', ...envArgs, process.execPath, '--', cliPath, 'dash');
    let screen = '';
    for (let i = 0; i < 100 && !(screen.includes('umo') && screen.includes('running')); i++) {
      await new Promise((r) => setTimeout(r, 100));
      screen = tmux('capture-pane', '-p', '-t', 'dash');
    }
    expect(screen).toContain('reg');
    expect(screen).toContain('umo');
    expect(screen).toContain('running');
    tmux('send-keys', '-t', 'dash', 'q');
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 100));
      gone = !tmux('list-sessions').includes('dash');
    }
    expect(gone).toBe(true);
  }, 60_000);

  it('hands the holder over: a command that got it is never left without it by one ending the last project', async () => {
    // A command holds a claim on the holder (as `stack up` does between getting it and joining it)…
    const claimer = path.join(work, 'claim.mjs');
    fs.writeFileSync(
      claimer,
      [
        `import { ensureNamespaceHolder, stopHolderIfIdle } from ${JSON.stringify(path.join(repoRoot, 'dist/src/runtime/embedded/rootless/namespace-holder.js'))};`,
        `if (process.argv[2] === 'stop') { console.log(await stopHolderIfIdle(${JSON.stringify(dataRoot)})); process.exit(0); }`,
        `const h = await ensureNamespaceHolder({ say: () => {} }); console.log('claimed ' + h.pid);`,
        `process.stdin.once('data', () => { h.release(); console.log('released'); process.exit(0); });`,
      ].join('\n'),
    );
    fs.chownSync(claimer, rootlessUser().uid, rootlessUser().gid);
    const [cmd, ...args] = rootlessCommand(process.execPath, [claimer]);
    const holding = spawn(cmd!, args, { cwd: work, env: { ...rootlessUser().env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
    let said = '';
    holding.stdout.on('data', (d: Buffer) => (said += d.toString()));
    for (let i = 0; i < 100 && !said.includes('claimed'); i++) await new Promise((r) => setTimeout(r, 50));
    const pid = Number(/claimed (\d+)/.exec(said)?.[1]);
    expect(pid).toBe(holderPid());

    // …then the user's last project goes down: the holder stays for the command that claimed it.
    const down = stack(['down', '-v', '-t', '1']);
    expect(down.code, down.stderr).toBe(0);
    expect(alive(pid)).toBe(true);
    expect(runAsRootlessUser(process.execPath, [claimer, 'stop'], { env, cwd: work }).stdout).toBe('false\n');
    // Another command starting meanwhile joins the same holder and works.
    const run = stack(['-f', 'limits.yaml', 'run', '--rm', 'capped']);
    expect(run.code, run.stderr).toBe(0);
    expect(holderPid()).toBe(pid);
    expect(stack(['-f', 'limits.yaml', 'down']).code).toBe(0); // `run --rm` leaves the project (its network) until down
    expect(alive(pid)).toBe(true);

    // Released: the next look finds the user idle and stops it.
    holding.stdin.write('go\n');
    await new Promise((r) => holding.once('exit', r));
    expect(said).toContain('released');
    expect(runAsRootlessUser(process.execPath, [claimer, 'stop'], { env, cwd: work }).stdout).toBe('true\n');
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid)).toBe(false);
    fs.rmSync(claimer);
  }, 120_000);

  it('survives a down of the last project racing an up of another (three rounds), and leaves nothing', async () => {
    writeFile('race.yaml', ['services:', '  s:', '    image: host', '    command: ["sleep", "1000"]']);
    const launch = (args: string[]) =>
      new Promise<{ code: number; stderr: string }>((resolve) => {
        const [cmd, ...rest] = rootlessCommand(process.execPath, ['--', cliPath, ...args]);
        const child = spawn(cmd!, rest, { cwd: work, env: { ...rootlessUser().env, ...env } });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('exit', (code) => resolve({ code: code ?? -1, stderr }));
      });
    let previous: string | undefined;
    for (let round = 0; round < 3; round++) {
      const next = `${project}r${round}`;
      projects.add(next);
      const [up, down] = await Promise.all([launch(['-f', 'race.yaml', '-p', next, 'up', '-d']), previous ? launch(['-f', 'race.yaml', '-p', previous, 'down', '-t', '1']) : Promise.resolve({ code: 0, stderr: '' })]);
      expect(`${next} up ${up.code}`, up.stderr).toBe(`${next} up 0`);
      expect(`down ${down.code}`, down.stderr).toBe('down 0');
      previous = next;
    }
    const ps = stack(['-p', previous!, 'ps', '--format', 'json']);
    expect((JSON.parse(ps.stdout.trim()) as { State: string }).State).toBe('running');
    expect(stack(['-f', 'race.yaml', '-p', previous!, 'down', '-t', '1']).code).toBe(0);
    for (const p of projects) expect(findLeaks(p, { root: dataRoot })).toEqual([]);
    expect(fs.existsSync(path.join(runDir, 'hafen'))).toBe(false);
    expect(fs.readdirSync(dataRoot)).toEqual(['images']);
  }, 240_000);
});

/**
 * Issue 19: the commands that follow a stack, through `HAFEN_HOST=ssh://` against the test's own
 * sshd (src/testing/ssh-lab.ts): `logs -f` keeps receiving new lines of a remote service until
 * Ctrl-C (SIGINT) ends it cleanly, `events --json` streams a restart's die and start through the
 * channel, and `stack dash` in a real terminal (tmux), as a person drives it: the rows appear, the
 * log pane fills with the remote services' lines, `r` restarts the selected service there, `q`
 * gives the prompt back. Then `down -v` leaves nothing on either side.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { requireSshd, startSshLab, type SshLab } from '../src/testing/ssh-lab.js';
import { cliPath, stack, type CliResult } from './cli.js';
import { downAndCheckRemote } from './remote-teardown.js';
import { argvOf, childPids } from '../src/testing/child-pids.js';

/** The ssh processes among the children of `pid`. */
const sshChildren = (pid: number): number[] => childPids(pid).filter((p) => argvOf(p)[0] === 'ssh');

const STACK = `services:
  clock:
    image: host
    command: ["sh", "-c", "i=0; while true; do i=$$((i+1)); echo tick $$i; sleep 0.2; done"]
    stop_grace_period: 1s
  echo:
    image: host
    command: ["sh", "-c", "while true; do echo tock; sleep 0.2; done"]
    depends_on: [clock]
    stop_grace_period: 1s
`;
const PROMPT = 'remote-dash$ ';

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('nsenter'), requireCommand('tmux'), requireSshd()))('following a remote stack over ssh: logs -f, events, dash (issue 19)', () => {
  let lab: SshLab;
  let dir: string;
  let file: string;
  let remoteRoot: string;
  let localRoot: string;
  const project = `rf${randomBytes(3).toString('hex')}`;
  const children: ChildProcess[] = [];
  let session: string | undefined;

  const env = (): Record<string, string> => ({
    ...lab.env,
    HAFEN_HOST: lab.url,
    HAFEN_REMOTE_COMMAND: `HAFEN_ROOT=${remoteRoot} HAFEN_SUBNET_POOL=10.223.128.0/18:24 ${process.execPath} ${cliPath}`,
    HAFEN_ROOT: localRoot,
    HAFEN_SUBNET_POOL: '10.223.128.0/18:24',
  });
  const run = (args: string[]): CliResult => stack(['-f', file, '-p', project, ...args], { env: env(), timeout: 180_000 });
  /** The CLI in the background, its output gathered as it comes. */
  const follow = (args: string[]): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } => {
    const child = spawn(process.execPath, ['--', cliPath, '-f', file, '-p', project, ...args], { env: { ...process.env, NO_COLOR: '1', ...env() }, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, out: () => out, err: () => err, exited };
  };
  const eventually = async <T>(what: string, get: () => T, ok: (v: T) => boolean, ms = 30_000): Promise<T> => {
    const until = Date.now() + ms;
    let last = get();
    while (!ok(last)) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last seen:\n${String(last)}`);
      await sleep(100);
      last = get();
    }
    return last;
  };

  beforeAll(async () => {
    if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remote-follow-'));
    remoteRoot = path.join(dir, 'remote-root');
    localRoot = path.join(dir, 'local-root');
    file = path.join(dir, 'stack.yaml');
    fs.writeFileSync(file, STACK);
    lab = await startSshLab();
    const up = run(['up', '-d', '--progress', 'plain']);
    if (up.code !== 0) throw new Error(`up -d failed: ${up.stderr}`);
  }, 240_000);

  afterAll(async () => {
    if (session) spawnSync('tmux', ['kill-session', '-t', session]);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await downAndCheckRemote({ lab, dir, project, remoteRoot, localRoot, down: () => run(['down', '-v']) });
  }, 240_000);

  it('logs -f: new lines of the remote service keep arriving; Ctrl-C ends it cleanly, its ssh included', async () => {
    const f = follow(['logs', '-f', '--no-color', 'clock']);
    const ticks = (): number[] => [...f.out().matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
    const first = (await eventually('the first lines', ticks, (t) => t.length > 0))[0]!;
    // Lines written after the command started arrive while it runs (1 s at 5 a second).
    await eventually('lines written later', ticks, (t) => Math.max(...t) >= first + 5);
    const ssh = sshChildren(f.child.pid!);
    expect(ssh.length).toBeGreaterThanOrEqual(1);
    f.child.kill('SIGINT');
    expect(await f.exited).toBe(0);
    expect(f.err()).toBe('');
    // In order, none twice: one stream.
    const t = ticks();
    expect(t).toEqual([...t].sort((a, b) => a - b));
    expect(new Set(t).size).toBe(t.length);
    // The ssh process it used is gone with it.
    await eventually('its ssh to exit', () => ssh.filter((p) => fs.existsSync(`/proc/${p}`)), (left) => left.length === 0, 10_000);
  }, 120_000);

  it('events --json: a restart there streams die and start through the channel', async () => {
    const f = follow(['events', '--json', 'echo']);
    // The stream is open once its ssh has greeted; a restart gives a die and a start.
    await sleep(1500);
    const restart = run(['restart', 'echo']);
    expect(restart.code, restart.stderr).toBe(0);
    const actions = (): string[] =>
      f
        .out()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as { action: string; service: string }).action);
    await eventually('die and start', actions, (a) => a.includes('die') && a.lastIndexOf('start') > a.indexOf('die'));
    for (const line of f.out().split('\n').filter((l) => l !== '')) expect(JSON.parse(line)).toMatchObject({ v: 1, type: 'container', service: 'echo', attributes: { name: `${project}-echo-1` } });
    f.child.kill('SIGINT');
    expect(await f.exited).toBe(0);
    expect(f.err()).toBe('');
  }, 120_000);

  it('dash in a terminal: the remote rows and logs appear, r restarts the selected service there, q gives the prompt back', async () => {
    const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });
    session = `rdash${randomBytes(3).toString('hex')}`;
    const vars = Object.entries(env()).map(([k, v]) => `${k}=${v}`);
    tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', 'env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', ...vars, `PS1=${PROMPT}`, 'TERM=xterm-256color', 'bash', '--norc', '--noprofile');
    const screen = (): string => tmux('capture-pane', '-p', '-t', session!);
    const keys = (...k: string[]): void => void tmux('send-keys', '-t', session!, ...k);
    const row = (s: string, service: string): string => s.split('\n').find((l) => new RegExp(`^[ ❯] ${service}\\s`).test(l)) ?? '';
    const logLines = (s: string): string[] => s.split('\n').filter((l) => /^\w+\s*\| /.test(l));
    await eventually('the prompt', screen, (s) => s.includes(PROMPT.trim()));
    keys(`cd ${dir} && clear && node ${cliPath} -f ${file} -p ${project} dash`, 'Enter');

    let s = await eventually('the rows', screen, (x) => ['clock', 'echo'].every((svc) => /running/.test(row(x, svc))), 60_000);
    expect(s.split('\n')[0]).toMatch(new RegExp(`^hafen · ${project} · 2/2 running`));
    s = await eventually('both services in the log pane', screen, (x) => logLines(x).some((l) => /tick \d+/.test(l)) && logLines(x).some((l) => l.includes('tock')));
    // The pane keeps following: a later tick shows up.
    const lastTick = (x: string): number => Math.max(0, ...logLines(x).flatMap((l) => [...l.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]))));
    const seen = lastTick(s);
    await eventually('a later tick', screen, (x) => lastTick(x) >= seen + 3);

    const startedAt = (): string | undefined => (JSON.parse(run(['ps', '--json']).stdout) as { service: string; startedAt?: string }[]).find((c) => c.service === 'echo')?.startedAt;
    const before = startedAt();
    expect(before).toBeDefined();
    keys('j');
    await eventually('echo selected', screen, (x) => row(x, 'echo').startsWith('❯'));
    keys('r');
    await eventually('the restart to finish', screen, (x) => x.includes('✔ restarted echo'), 60_000);
    await eventually('echo running again', screen, (x) => /running/.test(row(x, 'echo')));
    expect(startedAt()).not.toBe(before);

    keys('q');
    s = await eventually('the prompt after quitting', screen, (x) => x.trimEnd().endsWith(PROMPT.trimEnd()));
    expect(s).not.toContain('SERVICE');
    expect(s).toContain(`${project} keeps running`);
    keys('echo still-$((40+2))', 'Enter');
    await eventually('a command after quitting', screen, (x) => x.includes('still-42'));
    spawnSync('tmux', ['kill-session', '-t', session]);
    session = undefined;
  }, 180_000);
});

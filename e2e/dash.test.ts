/**
 * `stack dash` in a real terminal (tmux) against a running stack, as a person uses it: the table
 * shows every service, `r` restarts the selected one visibly, `/` filters the log pane, `q` gives
 * back a clean shell prompt; at 120x40 and at 80x24. Then `down -v` leaves nothing behind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { cliPath, repoRoot } from './cli.js';
import { stackLeftovers } from './stack-leftovers.js';

const file = path.join(repoRoot, 'fixtures/dash/stack.yaml');
const PROMPT = 'dash-e2e$ ';

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('ip'), requireCommand('nsenter'), requireCommand('tmux')))('stack dash in a terminal', () => {
  let root: string;
  const projects: string[] = [];
  const sessions: string[] = [];
  const env = (): Record<string, string> => ({ HAFEN_ROOT: root, HAFEN_SUBNET_POOL: '10.238.0.0/16:24' });

  const stack = (project: string, args: string[]) => {
    const r = spawnSync(process.execPath, [cliPath, '-f', file, '-p', project, '--progress', 'plain', ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env(), NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });
  /** A shell in a new tmux session of that size, with a prompt to recognise; CI unset, since Ink draws only the last frame under CI. */
  const terminal = (columns: number, rows: number): { session: string; screen: () => string; keys: (...k: string[]) => void } => {
    const session = `dash${randomBytes(3).toString('hex')}`;
    sessions.push(session);
    const vars = Object.entries(env()).map(([k, v]) => `${k}=${v}`);
    tmux('new-session', '-d', '-s', session, '-x', String(columns), '-y', String(rows), 'env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', ...vars, `PS1=${PROMPT}`, 'TERM=xterm-256color', 'bash', '--norc', '--noprofile');
    return {
      session,
      screen: () => tmux('capture-pane', '-p', '-t', session),
      keys: (...k: string[]) => void tmux('send-keys', '-t', session, ...k),
    };
  };
  /** Waits until the screen satisfies `check`, returning it; fails with the last screen. */
  const eventually = async (screen: () => string, check: (s: string) => boolean, what: string, ms = 15_000): Promise<string> => {
    const until = Date.now() + ms;
    let last = '';
    while (Date.now() < until) {
      last = screen();
      if (check(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}; the screen:\n${last}`);
  };
  /** The row of `service` in the services table on a screen. */
  const tableRow = (s: string, service: string): string | undefined => s.split('\n').find((l) => new RegExp(`^[ ❯] ${service}\\s`).test(l));
  const logLines = (s: string): string[] => s.split('\n').filter((l) => /^\w+\s*\| /.test(l));

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-dash-'));
  });
  afterEach(() => {
    for (const s of sessions.splice(0)) spawnSync('tmux', ['kill-session', '-t', s]);
    for (const p of projects.splice(0)) {
      stack(p, ['down', '-v']);
      expect(stackLeftovers(p, root)).toEqual([]);
    }
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it.each([
    [120, 40],
    [80, 24],
  ])('at %ix%i: sees every service, restarts one, filters the logs, and quits to a clean prompt', async (columns, rows) => {
    const project = `dash${randomBytes(3).toString('hex')}`;
    projects.push(project);
    const up = stack(project, ['up', '-d']);
    expect(up.code, up.stderr).toBe(0);

    const t = terminal(columns, rows);
    await eventually(t.screen, (s) => s.includes(PROMPT.trim()), 'the shell prompt');
    t.keys(`cd ${repoRoot} && clear && node ${cliPath} -f ${file} -p ${project} dash`, 'Enter');

    // Every service, running, in the table; logs of all of them merged below.
    let s = await eventually(t.screen, (x) => ['clock', 'echo'].every((svc) => /running/.test(tableRow(x, svc) ?? '')) && tableRow(x, 'flaky') !== undefined, 'the table');
    expect(s.split('\n')[0]).toMatch(new RegExp(`^hafen · ${project} · \\d/3 running`));
    expect(s.split('\n').every((l) => l.length <= columns)).toBe(true);
    s = await eventually(t.screen, (x) => logLines(x).some((l) => l.includes('tick')) && logLines(x).some((l) => l.includes('tock')), 'merged logs');
    // clock's ready: check passed during `up`: HEALTH says so.
    expect(tableRow(s, 'clock')).toMatch(/running\s+ready\s/);

    // j selects echo; r restarts it: its state passes through stopping/starting or its uptime starts again, and the status says so.
    t.keys('j');
    await eventually(t.screen, (x) => (tableRow(x, 'echo') ?? '').startsWith('❯'), 'echo selected');
    const startedAt = (): string | undefined =>
      (JSON.parse(stack(project, ['ps', '--json']).stdout) as { service: string; startedAt?: string }[]).find((c) => c.service === 'echo')?.startedAt;
    const before = startedAt();
    t.keys('r');
    s = await eventually(t.screen, (x) => x.includes('✔ restarted echo'), 'the restart to finish');
    s = await eventually(t.screen, (x) => /running\s+[0-3]s\s/.test(tableRow(x, 'echo') ?? ''), 'echo running again with a fresh uptime');
    expect(startedAt()).not.toBe(before);

    // / filter: only matching lines in the log pane.
    t.keys('/');
    await eventually(t.screen, (x) => x.split('\n').some((l) => l.startsWith('/')), 'the filter prompt');
    t.keys('-l', 'tock');
    t.keys('Enter');
    s = await eventually(t.screen, (x) => x.includes('filter /tock/') && logLines(x).length >= 3 && logLines(x).every((l) => l.includes('tock')), 'the filtered log pane');
    expect(logLines(s).some((l) => l.includes('tick'))).toBe(false);

    // q: the alternate screen goes, the shell prompt is back, nothing of the dashboard left on it.
    t.keys('q');
    s = await eventually(t.screen, (x) => x.trimEnd().endsWith(PROMPT.trimEnd()), 'the prompt after quitting');
    expect(s).not.toContain('SERVICE');
    expect(s).not.toContain('── LOGS');
    expect(s).toContain(`${project} keeps running`);
    // The terminal is back in cooked mode: a command typed now runs.
    t.keys('echo still-$((40+2))', 'Enter');
    await eventually(t.screen, (x) => x.includes('still-42'), 'a command to run after quitting');
  }, 90_000);

  it('says clearly that it needs a terminal', () => {
    const r = stack(`dash${randomBytes(3).toString('hex')}`, ['dash']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('stack dash needs a terminal');
  });
});

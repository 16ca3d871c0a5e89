/**
 * Issue 19, ships of the embedded runtime: the connection to one ship dropped mid-`up` (its ssh
 * process killed while a dependent here waits for the dependency there). The command fails naming
 * that host; the project is left on both sides as a killed command leaves it (the remote ship's
 * container still running under its supervisor there, this machine's service here), `ps` still sees
 * both, and the next `down -v` removes everything on both sides (ledger, netns, links, mounts,
 * processes, forwarders). The "remote" host is the ssh lab in namespaces of its own (pool 10.223).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForwarderRecord } from '../src/remote/port-forwarder.js';
import { localRootFor } from '../src/remote/open-remote.js';
import { parseSshTarget } from '../src/remote/ssh-target.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { requireSshd, requireSshLabNetns, startSshLab, type SshLab } from '../src/testing/ssh-lab.js';
import { argvOf, childPids } from '../src/testing/child-pids.js';
import { cliPath, repoRoot, stack, type CliResult } from './cli.js';
import { stackLeftovers } from './stack-leftovers.js';
import { endShipsLab, labForwarders, leftoversInLab, twoHostEnv } from './remote-teardown.js';


describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('busybox'), requireSshd(), requireSshLabNetns()))('a ship\'s connection dropped mid-up (issue 19)', () => {
  let lab: SshLab;
  let dir: string;
  let file: string;
  let remoteRoot: string;
  let localRoot: string;
  const project = `rd${process.pid}`;

  const env = (): Record<string, string> => twoHostEnv(lab, { localRoot, remoteRoot, pool: '10.223.64.0/18:24' });
  const run = (args: string[]): CliResult => stack(['-f', file, ...args], { env: env(), timeout: 180_000 });
  const hostRoot = (): string => localRootFor(parseSshTarget(lab.url), localRoot);
  const forwarders = (): ForwarderRecord[] => labForwarders(hostRoot(), project);
  const remoteLeftovers = (): string[] => leftoversInLab(lab, project, remoteRoot);

  beforeAll(async () => {
    if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remote-drop-'));
    remoteRoot = path.join(dir, 'remote-root');
    localRoot = path.join(dir, 'local-root');
    lab = await startSshLab({ netns: '10.223' });
    file = path.join(dir, 'ships.yaml');
    fs.writeFileSync(
      file,
      [
        `name: ${project}`,
        'ships:',
        `  east: {runtime: embedded, host: "${lab.url}"}`,
        'services:',
        // db there becomes ready only after a while: the dependent here waits on it, the connection in use.
        '  db:',
        '    image: host',
        '    ship: east',
        '    command: ["sh", "-c", "sleep 8; mkdir -p /tmp/www && echo hi > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www"]',
        '    ports: ["8080"]',
        '    ready: {tcp: 8080}',
        '  side:',
        '    image: host',
        '    command: ["sleep", "600"]',
        '  app:',
        '    image: host',
        '    command: ["sleep", "600"]',
        '    depends_on: {db: {condition: service_healthy}}',
        '',
      ].join('\n'),
    );
  }, 60_000);

  afterAll(() => endShipsLab({ lab, dir, forwarders, down: () => run(['down', '-v']) }), 240_000);

  it('the command names the host that failed; both sides stay as a killed command leaves them; down -v removes all of it', async () => {
    const child = spawn(process.execPath, ['--', cliPath, '-f', file, 'up', '-d', '--progress', 'plain'], { env: { ...process.env, NO_COLOR: '1', ...env() }, cwd: dir });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Once db runs there and side here, while app waits for db: the ship's ssh goes, as a dropped connection would.
    for (let i = 0; i < 600 && !(/db\s+started/.test(stderr) && /side\s+started/.test(stderr)); i++) await sleep(100);
    expect(stderr).toMatch(/db\s+started/);
    expect(stderr).toMatch(/side\s+started/);
    expect(stderr).not.toMatch(/app\s+started/);
    const agents = childPids(child.pid!).filter((pid) => argvOf(pid)[0] === 'ssh' && argvOf(pid).some((a) => a.includes('dial-stdio')));
    expect(agents.length).toBe(1);
    process.kill(agents[0]!, 'SIGKILL');
    const code = await exited;
    expect(code, stderr).toBe(1);
    expect(stderr).toContain(`remote host ${lab.url}: the connection was lost`);
    expect(stderr).not.toMatch(/a bug in hafen|^\s+at /m);
    expect(stderr).not.toMatch(/app\s+started/);

    // As a killed command leaves a project: db still there (its supervisor kept it), side still here.
    expect(remoteLeftovers().join('\n')).toContain(`${project}-db-1`);
    expect(stackLeftovers(project, localRoot).join('\n')).toContain(`${project}-side-1`);
    const ps = run(['ps', '-a', '--format', 'json']);
    expect(ps.code, ps.stderr).toBe(0);
    const states = Object.fromEntries(
      ps.stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { Service: string; State: string })
        .map((c) => [c.Service, c.State]),
    );
    expect(states.db).toBe('running');
    expect(states.side).toBe('running');

    const down = run(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    expect(remoteLeftovers()).toEqual([]);
    expect(stackLeftovers(project, localRoot)).toEqual([]);
    expect(stackLeftovers(project, hostRoot())).toEqual([]);
    expect(forwarders()).toEqual([]);
  }, 400_000);
});

/**
 * Issue 19: `stack cp` with a service on a ship of the embedded runtime on another host (`ships:`
 * with `host: ssh://…`; the ssh lab in a network and mount namespace of its own stands for it). A
 * file goes into the container there and comes back here; `down -v` leaves nothing on either side.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localRootFor } from '../src/remote/open-remote.js';
import { parseSshTarget } from '../src/remote/ssh-target.js';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { requireSshd, requireSshLabNetns, startSshLab, type SshLab } from '../src/testing/ssh-lab.js';
import { stack, type CliResult } from './cli.js';
import { leftoversInLab, twoHostEnv } from './remote-teardown.js';
import { stackLeftovers } from './stack-leftovers.js';

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('nsenter'), requireSshd(), requireSshLabNetns()))('cp with a service on a ship of another host (issue 19)', () => {
  let lab: SshLab;
  let dir: string;
  let file: string;
  let remoteRoot: string;
  let localRoot: string;
  const project = `rsc${randomBytes(3).toString('hex')}`;
  const run = (args: string[]): CliResult => stack(['-f', file, ...args], { env: twoHostEnv(lab, { localRoot, remoteRoot, pool: '10.205.64.0/18:24' }), timeout: 180_000 });
  const ok = (args: string[]): CliResult => {
    const r = run(args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remote-ships-cp-'));
    remoteRoot = path.join(dir, 'remote-root');
    localRoot = path.join(dir, 'local-root');
    lab = await startSshLab({ netns: '10.205' });
    file = path.join(dir, 'stack.yaml');
    fs.writeFileSync(
      file,
      [
        `name: ${project}`,
        'ships:',
        `  east: {runtime: embedded, host: "${lab.url}"}`,
        'services:',
        '  box:',
        '    image: host',
        '    ship: east',
        `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]`,
        '',
      ].join('\n'),
    );
  }, 60_000);

  afterAll(async () => {
    try {
      if (lab) {
        const down = run(['down', '-v']);
        expect(down.code, down.stderr).toBe(0);
        expect(leftoversInLab(lab, project, remoteRoot)).toEqual([]);
        expect(stackLeftovers(project, localRoot)).toEqual([]);
        expect(stackLeftovers(project, localRootFor(parseSshTarget(lab.url), localRoot))).toEqual([]);
      }
    } finally {
      await lab?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('copies a file into the container on ship east and back here', () => {
    ok(['up', '-d']);
    const src = path.join(dir, 'in.txt');
    const data = `to east ${randomBytes(6).toString('hex')}\n`;
    fs.writeFileSync(src, data);
    ok(['cp', src, 'box:/tmp/in.txt']);
    expect(ok(['exec', '-T', 'box', 'cat', '/tmp/in.txt']).stdout).toBe(data);
    ok(['cp', 'box:/tmp/in.txt', path.join(dir, 'back.txt')]);
    expect(fs.readFileSync(path.join(dir, 'back.txt'), 'utf8')).toBe(data);
  }, 180_000);
});

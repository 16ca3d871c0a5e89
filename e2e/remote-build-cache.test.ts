/**
 * Issue 19: builds on a remote host send only what changed. The ssh lab (src/testing/ssh-lab.ts)
 * stands for the remote host; the CLI's ssh is wrapped so every byte it writes to the channel is
 * counted. A first build of a big context (6 MiB of random files) sends all of it; a second build of
 * the same context sends little and gives the same image; after one small file changes, a third
 * sends about that file, and the image has the new content. `down -v` leaves nothing on either side.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { requireSshd, startSshLab, type SshLab } from '../src/testing/ssh-lab.js';
import { cliPath, stack, type CliResult } from './cli.js';
import { countingSsh, downAndCheckRemote } from './remote-teardown.js';

const MiB = 1024 * 1024;

describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('nsenter'), requireSshd()))('builds on a remote host send only what changed (issue 19)', () => {
  let lab: SshLab;
  let dir: string;
  let ctx: string;
  let file: string;
  let counted: string;
  let remoteRoot: string;
  let localRoot: string;
  const project = `rb${randomBytes(3).toString('hex')}`;

  const env = (): Record<string, string> => ({
    ...lab.env,
    HAFEN_SSH_COMMAND: path.join(dir, 'counting-ssh'),
    HAFEN_HOST: lab.url,
    HAFEN_REMOTE_COMMAND: `HAFEN_ROOT=${remoteRoot} HAFEN_SUBNET_POOL=10.223.192.0/18:24 ${process.execPath} ${cliPath}`,
    HAFEN_ROOT: localRoot,
    HAFEN_SUBNET_POOL: '10.223.192.0/18:24',
  });
  const run = (args: string[]): CliResult => stack(['-f', file, '-p', project, ...args], { env: env(), timeout: 300_000 });
  /** Builds, returning the bytes the CLI wrote to the channel for it. */
  const build = (): number => {
    fs.writeFileSync(counted, '');
    const r = run(['build']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Built ${project}-app`);
    const sent = fs.statSync(counted).size;
    sizes.push(sent);
    return sent;
  };
  const sizes: number[] = [];
  /** What the image ref names on the remote side (its manifest's digest). */
  const image = (): string => {
    const refs = path.join(remoteRoot, 'images/refs');
    const ref = fs.readdirSync(refs).find((f) => f.startsWith(`${project}-app`));
    expect(ref).toBeDefined();
    return (JSON.parse(fs.readFileSync(path.join(refs, ref!), 'utf8')) as { manifest: string }).manifest;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remote-build-'));
    remoteRoot = path.join(dir, 'remote-root');
    localRoot = path.join(dir, 'local-root');
    lab = await startSshLab();
    counted = countingSsh(lab, dir).counted; // HAFEN_SSH_COMMAND: <dir>/counting-ssh
    ctx = path.join(dir, 'ctx');
    fs.mkdirSync(path.join(ctx, 'data'), { recursive: true });
    for (let i = 0; i < 6; i++) fs.writeFileSync(path.join(ctx, 'data', `blob${i}`), randomBytes(MiB));
    fs.writeFileSync(path.join(ctx, 'note.txt'), 'first\n');
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM host\nCOPY . /ctx/\nCMD ["cat", "/ctx/note.txt"]\n');
    file = path.join(dir, 'stack.yaml');
    fs.writeFileSync(file, 'services:\n  app:\n    build: ./ctx\n');
  }, 60_000);

  afterAll(async () => {
    await downAndCheckRemote({ lab, dir, project, remoteRoot, localRoot, down: () => run(['down', '-v']) });
  }, 240_000);

  it('a second build of the same context sends little and gives the same image; a changed file is about all the third sends', () => {
    const first = build();
    expect(first).toBeGreaterThan(6 * MiB); // all of it (base64 on the channel)
    const firstImage = image();

    const second = build();
    expect(second).toBeLessThan(64 * 1024);
    expect(image()).toBe(firstImage);

    fs.writeFileSync(path.join(ctx, 'note.txt'), 'second\n');
    const third = build();
    expect(third).toBeLessThan(64 * 1024);
    expect(image()).not.toBe(firstImage);
    const out = run(['run', '--rm', 'app']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.trim()).toBe('second');
    // The cache there keeps the last context of the image: the six big files and the new note, not the old one.
    const blobs = fs.readdirSync(path.join(remoteRoot, 'build-contexts/blobs'));
    expect(blobs.length).toBe(8); // 6 blobs, note.txt, Dockerfile
    process.stderr.write(`bytes sent on the channel per build: ${sizes.join(', ')}\n`);
  }, 400_000);
});

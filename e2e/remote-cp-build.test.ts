/**
 * Issue 19: `stack cp`, build secrets, named build contexts and build ssh agents with a remote host,
 * through the ssh lab (src/testing/ssh-lab.ts) standing for it. A build there mounts a secret read
 * here for its RUN step only (its value on no command line while the build runs, in no output and
 * in no file of either side's state, the image or a left folder afterwards), copies from a named
 * folder context (`COPY --from=extra`), sent with only the files that host lacks, and lends a RUN
 * step this machine's ssh agent (a key added here listed there), the session gone after. `cp`
 * copies files and folders both ways by the same rules as a local `cp`, and says as a local one
 * does what is missing. `down -v` leaves nothing on either side.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommand, requireOverlay, requireRoot, unmet } from '../src/testing/requirements.js';
import { allCommandLines, filesContaining } from '../src/testing/secret-traces.js';
import { requireSshd, startSshLab, type SshLab } from '../src/testing/ssh-lab.js';
import { cliPath, stack, type CliResult } from './cli.js';
import { countingSsh, downAndCheckRemote } from './remote-teardown.js';

const POOL = '10.205.0.0/16:24';
const sha256 = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex');


describe.skipIf(unmet(requireRoot(), requireOverlay(), requireCommand('nsenter'), requireCommand('ssh-agent'), requireSshd()))('cp, build secrets, named contexts and ssh agents on a remote host (issue 19)', () => {
  let lab: SshLab;
  let dir: string;
  let file: string;
  let remoteRoot: string;
  let localRoot: string;
  let counted: string;
  let agent: ChildProcess | undefined;
  const project = `rc${randomBytes(3).toString('hex')}`;
  const secret = `remote-secret-${randomBytes(12).toString('hex')}`;
  const keyComment = `hafen-e2e-key-${randomBytes(6).toString('hex')}`;

  const env = (over: Record<string, string> = {}): Record<string, string> => ({
    ...lab.env,
    HAFEN_SSH_COMMAND: path.join(dir, 'counting-ssh'),
    HAFEN_HOST: lab.url,
    HAFEN_REMOTE_COMMAND: `TMPDIR=${tmp()} HAFEN_ROOT=${remoteRoot} HAFEN_SUBNET_POOL=${POOL} ${process.execPath} ${cliPath}`,
    TMPDIR: tmp(),
    HAFEN_ROOT: localRoot,
    HAFEN_SUBNET_POOL: POOL,
    ...over,
  });
  const run = (args: string[], over: Record<string, string> = {}): CliResult => stack(['-f', file, '-p', project, ...args], { env: env(over), timeout: 300_000 });
  const ok = (args: string[], over: Record<string, string> = {}): CliResult => {
    const r = run(args, over);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  const out = (...p: string[]): string => path.join(dir, 'out', ...p);
  /** The temp folder of this file's commands, here and there (TMPDIR): other files' remote builds and copies run meanwhile. */
  const tmp = (): string => path.join(dir, 'tmp');
  /** The folders remote builds and copies make in the temp folder while they run. */
  const passingFolders = (): string[] => fs.readdirSync(tmp()).filter((n) => n.startsWith('hafen-context-') || n.startsWith('hafen-cp-')).map((n) => path.join(tmp(), n));

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-remote-cp-'));
    remoteRoot = path.join(dir, 'remote-root');
    localRoot = path.join(dir, 'local-root');
    fs.mkdirSync(tmp());
    lab = await startSshLab();
    counted = countingSsh(lab, dir).counted; // HAFEN_SSH_COMMAND: <dir>/counting-ssh
    const ctx = path.join(dir, 'ctx');
    fs.mkdirSync(ctx);
    fs.mkdirSync(path.join(dir, 'extra', 'sub'), { recursive: true });
    fs.mkdirSync(out());
    fs.writeFileSync(path.join(ctx, 'note.txt'), 'main context\n');
    fs.writeFileSync(path.join(dir, 'extra', 'from-extra.txt'), 'named context\n');
    fs.writeFileSync(path.join(dir, 'extra', 'sub', 'deep.txt'), 'deep\n');
    fs.writeFileSync(path.join(dir, 'extra', 'big.bin'), randomBytes(512 * 1024));
    fs.writeFileSync(path.join(dir, 'token.txt'), secret);
    fs.writeFileSync(
      path.join(ctx, 'Dockerfile'),
      [
        'FROM host',
        'COPY note.txt /ctx/note.txt',
        'COPY --from=extra . /extra/',
        // A while for the test to look at every command line as the step runs.
        'RUN --mount=type=secret,id=token,required sha256sum /run/secrets/token | cut -d" " -f1 > /secret-digest && sleep 3',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(ctx, 'Dockerfile.agent'), 'FROM host\nRUN --mount=type=ssh,required ssh-add -l > /agent-keys\n');
    file = path.join(dir, 'stack.yaml');
    fs.writeFileSync(
      file,
      [
        'services:',
        '  app:',
        '    build:',
        '      context: ./ctx',
        '      additional_contexts: {extra: ./extra}',
        '      secrets: [token]',
        `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]`,
        '  agent:',
        '    build: {context: ./ctx, dockerfile: Dockerfile.agent, ssh: [default]}',
        '    profiles: [agent]',
        'secrets:',
        '  token: {file: ./token.txt}',
        '',
      ].join('\n'),
    );
  }, 60_000);

  afterAll(async () => {
    agent?.kill('SIGKILL');
    await downAndCheckRemote({ lab, dir, project, remoteRoot, localRoot, down: () => run(['--profile', 'agent', 'down', '-v']) });
  }, 240_000);

  it('builds with a secret only its RUN step sees and a named context, sending only what that host lacks', async () => {
    fs.writeFileSync(counted, '');
    const build = spawn(process.execPath, ['--', cliPath, '-f', file, '-p', project, 'build', 'app'], { env: { ...process.env, NO_COLOR: '1', ...env() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    build.stdout.on('data', (c: Buffer) => (said += c.toString()));
    build.stderr.on('data', (c: Buffer) => (said += c.toString()));
    const ended = new Promise<number | null>((resolve) => build.once('exit', resolve));
    let running = true;
    void ended.then(() => (running = false));
    let seenOnCommandLine = false;
    let looks = 0;
    while (running) {
      if (allCommandLines().includes(secret)) seenOnCommandLine = true;
      looks++;
      await sleep(100);
    }
    expect(await ended, said).toBe(0);
    expect(looks).toBeGreaterThan(10); // the RUN step's 3 s were looked at
    expect(seenOnCommandLine).toBe(false);
    expect(said).not.toContain(secret);
    const first = fs.statSync(counted).size;
    expect(first).toBeGreaterThan(512 * 1024); // the named context's big file went over (base64)

    const r = ok(['run', '--rm', 'app', 'cat', '/secret-digest', '/ctx/note.txt', '/extra/from-extra.txt', '/extra/sub/deep.txt']);
    expect(r.stdout).toBe(`${sha256(secret)}\nmain context\nnamed context\ndeep\n`);
    expect(ok(['run', '--rm', 'app', 'sha256sum', '/extra/big.bin']).stdout.split(' ')[0]).toBe(sha256(fs.readFileSync(path.join(dir, 'extra', 'big.bin'))));
    // Neither side's state (the remote image store and its step cache included), nor a folder left in the temp folder, holds the value.
    expect(filesContaining(remoteRoot, secret)).toEqual([]);
    expect(filesContaining(localRoot, secret)).toEqual([]);
    expect(passingFolders().flatMap((d) => filesContaining(d, secret))).toEqual([]);

    // Again, unchanged: the named context's files are in that host's cache, so little crosses.
    fs.writeFileSync(counted, '');
    ok(['build', 'app']);
    expect(fs.statSync(counted).size).toBeLessThan(64 * 1024);
  }, 400_000);

  it('lends this machine\'s ssh agent to the RUN steps that mount it, for the build only', async () => {
    const socket = path.join(dir, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    for (let t0 = Date.now(); !fs.existsSync(socket) && Date.now() - t0 < 10_000; ) await sleep(50);
    const key = path.join(dir, 'agent-key');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', keyComment, '-f', key], { stdio: 'ignore' });
    const added = spawnSync('ssh-add', [key], { env: { ...process.env, SSH_AUTH_SOCK: socket }, encoding: 'utf8' });
    expect(added.status, added.stderr).toBe(0);

    ok(['--profile', 'agent', 'build', 'agent'], { SSH_AUTH_SOCK: socket });
    expect(ok(['--profile', 'agent', 'run', '--rm', 'agent', 'cat', '/agent-keys']).stdout).toContain(keyComment);
    // The session that lent it is gone with the build.
    expect(allCommandLines()).not.toContain('system agent-socket');

    const none = run(['--profile', 'agent', 'build', '--no-cache', 'agent'], { SSH_AUTH_SOCK: '' });
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('build.ssh "default" takes the agent of SSH_AUTH_SOCK, which is not set');
  }, 300_000);

  it('copies files and folders both ways by local cp\'s rules', () => {
    ok(['up', '-d', 'app']);
    // Out: a file to a new name, a folder into an existing folder, a folder's contents to a new one.
    ok(['cp', 'app:/ctx/note.txt', out('note-copy.txt')]);
    expect(fs.readFileSync(out('note-copy.txt'), 'utf8')).toBe('main context\n');
    ok(['cp', 'app:/extra', out()]);
    expect(fs.readFileSync(out('extra', 'sub', 'deep.txt'), 'utf8')).toBe('deep\n');
    ok(['cp', 'app:/extra/.', out('contents')]);
    expect(fs.readFileSync(out('contents', 'from-extra.txt'), 'utf8')).toBe('named context\n');
    expect(fs.existsSync(out('contents', 'extra'))).toBe(false);

    // In: a file into a folder under its own name (mode kept), a folder to a new path, a folder's contents merged.
    const src = path.join(dir, 'in.txt');
    fs.writeFileSync(src, 'copied in\n');
    fs.chmodSync(src, 0o640);
    ok(['cp', src, 'app:/tmp/']);
    expect(ok(['exec', '-T', 'app', 'sh', '-c', 'stat -c %a /tmp/in.txt; cat /tmp/in.txt']).stdout).toBe('640\ncopied in\n');
    const tree = path.join(dir, 'tree');
    fs.mkdirSync(path.join(tree, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'sub', 'f'), 'deep in\n');
    ok(['cp', tree, 'app:/tmp/tree']);
    fs.writeFileSync(path.join(tree, 'second'), 'merged\n');
    ok(['cp', `${tree}/.`, 'app:/tmp/tree']);
    expect(ok(['exec', '-T', 'app', 'sh', '-c', 'cat /tmp/tree/sub/f /tmp/tree/second; ls /tmp/tree']).stdout).toBe('deep in\nmerged\nsecond\nsub\n');
    // And back: what went in comes out the same.
    ok(['cp', 'app:/tmp/tree', out('tree-back')]);
    expect(fs.readFileSync(out('tree-back', 'sub', 'f'), 'utf8')).toBe('deep in\n');

    // Into a container that is not running (through its layers there).
    ok(['stop', '-t', '1', 'app']);
    ok(['cp', src, 'app:/stopped.txt']);
    ok(['start', 'app']);
    expect(ok(['exec', '-T', 'app', 'cat', '/stopped.txt']).stdout).toBe('copied in\n');

    // What is missing is said as a local cp says it; nothing is written here.
    const missing = run(['cp', 'app:/nope', out('nope')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('/nope: no such file or directory');
    expect(fs.existsSync(out('nope'))).toBe(false);
    const notDir = run(['cp', src, 'app:/no/such/dir/']);
    expect(notDir.code).not.toBe(0);
    expect(notDir.stderr).toContain('/no/such/dir/');
    expect(passingFolders().filter((d) => path.basename(d).startsWith('hafen-cp-'))).toEqual([]);
  }, 300_000);
});

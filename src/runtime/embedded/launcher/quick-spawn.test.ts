import fs from 'node:fs';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { nativeAvailable } from '../native.js';
import { quickExec, quickSpawn, type LauncherChild } from './quick-spawn.js';

/** Resolves with the child's `close` arguments. */
function closed(child: LauncherChild): Promise<[number | null, NodeJS.Signals | null]> {
  return new Promise((resolve) => child.on('close', (code, signal) => resolve([code, signal])));
}

function text(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    stream.on('data', (c: Buffer) => (out += c.toString()));
    stream.on('end', () => resolve(out));
    stream.on('close', () => resolve(out));
  });
}

const unmet = process.platform !== 'linux' ? 'Linux only' : !nativeAvailable() ? 'the addon is not built (npm run build:native)' : undefined;
if (unmet && process.env.CI === 'true') throw new Error(`quick-spawn tests cannot run: ${unmet}`);

describe.skipIf(unmet !== undefined)('quickSpawn (posix_spawn through the addon)', () => {
  it('gives the child a socket on fd 3, its stderr, and payloads from fd 4 on; reports its exit code', async () => {
    const script = 'cat <&4 >&2; printf "%s" "$(cat <&5)" >&3; read line <&3; echo "got $line" >&3; exit 7';
    const child = quickSpawn('/bin/sh', ['-c', script], [Buffer.from('env payload\n'), Buffer.from('second')])!;
    expect(child.pid).toBeGreaterThan(0);
    const sync = child.stdio[3] as Socket;
    const lines: string[] = [];
    sync.on('data', (c: Buffer) => {
      lines.push(c.toString());
      if (lines.join('') === 'second') sync.write('go\n');
    });
    const [stderr, end] = await Promise.all([text(child.stderr!), closed(child)]);
    expect(stderr).toBe('env payload\n');
    expect(lines.join('')).toBe('secondgot go\n');
    expect(end).toEqual([7, null]);
  });

  it('runs the child in a session of its own with stdin and stdout on /dev/null and no signal blocked', async () => {
    const child = quickSpawn('/bin/sh', ['-c', 'echo up >&3; exec sleep 30'], [])!;
    const sync = child.stdio[3] as Socket;
    await new Promise((resolve) => sync.once('data', resolve));
    const pid = child.pid!;
    // Looked at once it is sleep (the shell's `>&3` moves its fd 1 while echo runs).
    while (fs.readFileSync(`/proc/${pid}/comm`, 'utf8') !== 'sleep\n') await new Promise((resolve) => setTimeout(resolve, 5));
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const session = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
    const fds = [0, 1].map((fd) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    const blocked = /^SigBlk:\s+(\S+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    child.kill('SIGKILL');
    expect(await closed(child)).toEqual([null, 'SIGKILL']);
    expect(session).toBe(pid);
    expect(fds).toEqual(['/dev/null', '/dev/null']);
    expect(Number.parseInt(blocked ?? 'x', 16)).toBe(0);
  });

  it('is killed by kill(), reported as the signal, and reaped (no zombie left)', async () => {
    const child = quickSpawn('/bin/sh', ['-c', 'echo up >&3; exec sleep 30'], [])!;
    const sync = child.stdio[3] as Socket;
    await new Promise((resolve) => sync.once('data', resolve));
    expect(child.kill('SIGTERM')).toBe(true);
    expect(await closed(child)).toEqual([null, 'SIGTERM']);
    expect(fs.existsSync(`/proc/${child.pid}`)).toBe(false);
    expect(child.kill('SIGTERM')).toBe(false);
  });

  it('throws a system error naming the program when it cannot be run', () => {
    expect(() => quickSpawn('/nonexistent/hafen-run', [], [])).toThrow(/ENOENT.*posix_spawn '\/nonexistent\/hafen-run'/);
  });
});

describe.skipIf(unmet !== undefined)('quickExec (an exec into a container, posix_spawn through the addon)', () => {
  it('pipes stdout and stderr to the caller, gives stdin /dev/null and payloads from fd 4 on, and reports the exit code', async () => {
    const script = 'cat; echo "out $(cat <&5)"; cat <&4 >&2; test -e /proc/self/fd/3 && echo fd3 >&2; exit 3';
    const child = quickExec('/bin/sh', ['-c', script], [Buffer.from('env payload\n'), Buffer.from('second')])!;
    const [stdout, stderr, end] = await Promise.all([text(child.stdout!), text(child.stderr!), closed(child)]);
    expect(stdout).toBe('out second\n');
    expect(stderr).toBe('env payload\n');
    expect(end).toEqual([3, null]);
    expect(fs.existsSync(`/proc/${child.pid}`)).toBe(false);
  });

  it('is killed by kill() (a probe past its timeout), reported as the signal', async () => {
    const child = quickExec('/bin/sh', ['-c', 'echo up; exec sleep 30'], [])!;
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    expect(child.kill('SIGKILL')).toBe(true);
    expect(await closed(child)).toEqual([null, 'SIGKILL']);
  });
});

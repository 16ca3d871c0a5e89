/**
 * `stack cp` with a remote host (issue 19), as the docker CLI copies against a remote engine: the
 * archive streams over an ssh session of its own (`hafen system copy-out|copy-in` there, copy-ends.ts),
 * raw bytes both ways, and where the copy lands here, or under which name it goes in there, is
 * worked out by the same rules as a local `cp` (copy-target.ts): this side knows its own paths and
 * the source's name, the remote side knows the container's.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import nodePath from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RuntimeError, StackError } from '../errors.js';
import { hostTree, treeEntries } from '../runtime/copy/copy-entries.js';
import { copyTarget, CopyTargetError, sourceName, wantsContents } from '../runtime/copy/copy-target.js';
import { hostDestState, hostSink } from '../runtime/copy/host-sink.js';
import { packEntries, tarEntries } from '../runtime/copy/tar-entries.js';
import type { CopyOptions } from '../runtime/runtime.js';
import { fromWire, type WireError } from '../supervisor/protocol.js';
import { version } from '../version.js';
import { ARCHIVE_TOP, ERROR_MARK } from './copy-ends.js';
import { sshFailure } from './ssh-failure.js';
import { remoteCommand, shellWord, sshArgv, type SshTarget } from './ssh-target.js';

/** Which container of which project a copy reaches, and how. */
export interface RemoteCopy {
  target: SshTarget;
  project: string;
  container: string;
  opts: CopyOptions;
}

/** `ssh -T host hafen system END ARGS`, its stdin and stdout piped; resolves once it ended, throwing what the remote side said failed. */
function copySession(c: RemoteCopy, end: 'copy-out' | 'copy-in', args: string[], use: (stdin: NodeJS.WritableStream, stdout: NodeJS.ReadableStream) => Promise<void>): Promise<void> {
  const flags = [...(c.opts.archive ? ['--archive'] : []), ...(c.opts.followLink ? ['--follow-link'] : [])];
  const command = [remoteCommand(), 'system', end, ...['--project', c.project, '--container', c.container, ...flags, ...args].map(shellWord)].join(' ');
  const argv = sshArgv(c.target, ['-T', '-q'], command);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-16384)));
  child.stdin.on('error', () => {}); // a remote end that failed early closes its stdin: its error says why
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  const failure = (code: number | null): StackError => {
    const line = stderr.split('\n').find((l) => l.startsWith(ERROR_MARK));
    if (line) return fromWire(JSON.parse(line.slice(ERROR_MARK.length)) as WireError);
    return sshFailure(c.target, code, stderr, version);
  };
  return (async () => {
    let used: unknown;
    try {
      await use(child.stdin, child.stdout);
    } catch (err) {
      used = err;
      child.stdout.resume();
    }
    const code = await exited;
    if (code !== 0) throw failure(code);
    if (used) throw used;
  })();
}

/** Copies `src` of the remote container to `dest` on this host. */
export function copyFromRemote(c: RemoteCopy, src: string, dest: string): Promise<void> {
  return copySession(c, 'copy-out', ['--src', src], async (stdin, stdout) => {
    stdin.end();
    let sink: ReturnType<typeof hostSink> | undefined;
    for await (const e of tarEntries(stdout)) {
      if (!sink) {
        // The top entry says what the source is; where it lands follows from what `dest` is here.
        const target = landing(c.container, () => copyTarget(src, e.kind === 'dir', dest, hostDestState(dest)));
        sink = hostSink(target, { keepOwners: c.opts.archive === true });
      }
      await sink.put(e);
    }
    await sink?.finish();
  });
}

/** Copies `src` on this host into the remote container at `dest`. */
export function copyToRemote(c: RemoteCopy, src: string, dest: string): Promise<void> {
  const resolved = nodePath.resolve(c.opts.followLink ? fs.realpathSync(src) : src);
  const st = fs.lstatSync(resolved, { throwIfNoEntry: false });
  if (!st) throw new RuntimeError('copy', `${src}: no such file or directory`);
  if (!st.isDirectory() && (src.endsWith('/') || wantsContents(src))) throw new RuntimeError(`container ${c.container}`, `${src}: not a directory`);
  const name = sourceName(src);
  const contents = wantsContents(src) || name === '' || name === '..';
  const { followLink: _f, ...opts } = c.opts; // followed here: the archive holds what the link points to
  return copySession({ ...c, opts }, 'copy-in', ['--dest', dest, ...(contents ? ['--contents'] : ['--name', name])], async (stdin) => {
    await pipeline(packEntries(treeEntries(hostTree(nodePath.dirname(resolved)), nodePath.basename(resolved)), ARCHIVE_TOP), stdin);
  });
}

function landing<T>(container: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CopyTargetError) throw new RuntimeError(`container ${container}`, err.message);
    throw err;
  }
}

/**
 * A detached launcher started by posix_spawn(3) through the addon, not by child_process.spawn
 * (issue 16). Node's spawn forks the whole process and holds the event loop until the child has
 * exec'd: 10-40 ms per container in a supervisor of 60 MB on a busy machine, 0.5 ms this way. The
 * child looks to launch.ts as a ChildProcess does (pid, stdio sockets, kill, unref, `error` and
 * `close`); its environment and seccomp payloads are handed over in memfds, written before it runs.
 * Node waits only for children it spawned itself, so these are reaped here, on SIGCHLD.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { nativeAvailable, reap, spawnPiped } from '../native.js';

/** What launch.ts uses of a launcher's process; a ChildProcess is one too. */
export interface LauncherChild {
  readonly pid?: number | undefined;
  readonly stdio: readonly unknown[];
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  kill(signal?: NodeJS.Signals): boolean;
  unref(): void;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

/** Children of spawnPiped not yet reaped, by pid. */
const running = new Map<number, QuickChild>();
let listening = false;

/** Reaps every child of ours that has ended (one SIGCHLD may stand for several). */
function reapEnded(): void {
  for (const [pid, child] of running) {
    const status = reap(pid);
    if (!status) continue;
    running.delete(pid);
    child.ended(status.code, status.signal);
  }
}

const signalNames = new Map<number, NodeJS.Signals>(Object.entries(os.constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

class QuickChild extends EventEmitter implements LauncherChild {
  readonly stdin = null;
  readonly stdout: net.Socket | null;
  readonly stderr: net.Socket;
  readonly stdio: readonly unknown[];
  #exit: [number | null, NodeJS.Signals | null] | undefined;
  #open: number; // the sockets, until each reached its end

  constructor(
    readonly pid: number,
    streams: { stdout?: net.Socket; stderr: net.Socket; sync?: net.Socket },
  ) {
    super();
    const { stdout, stderr, sync } = streams;
    this.stdout = stdout ?? null;
    this.stderr = stderr;
    this.stdio = [null, this.stdout, stderr, sync ?? null];
    const sockets = [sync, stdout, stderr].filter((s): s is net.Socket => s !== undefined);
    this.#open = sockets.length;
    for (const s of sockets) {
      s.on('error', () => {}); // the process's end tells the story
      s.once('close', () => {
        this.#open--;
        reapEnded(); // its end usually comes with the sockets'; the SIGCHLD may be a moment later
        this.#closeIfDone();
      });
    }
  }

  /** Called once it was reaped. */
  ended(code: number | null, signal: number | null): void {
    this.#exit = [code, signal === null ? null : (signalNames.get(signal) ?? 'SIGKILL')];
    this.#closeIfDone();
  }

  #closeIfDone(): void {
    if (this.#exit && this.#open === 0) {
      const [code, signal] = this.#exit;
      this.#open = -1;
      this.emit('close', code, signal);
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.#exit) return false; // reaped: the pid may be another process's by now
    try {
      process.kill(this.pid, signal);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw err;
    }
  }

  unref(): void {
    // Nothing of its own keeps the loop alive once its sockets are gone (release() destroys them).
  }
}

/**
 * Starts `bin argv` detached with stdin and stdout on /dev/null, stderr and descriptor 3 (a socket)
 * to the caller, and `payloads` from descriptor 4 on (undefined: that descriptor is not given).
 * Undefined where the addon does not load or `bin` is no path (the caller spawns the usual way).
 */
export function quickSpawn(bin: string, argv: readonly string[], payloads: readonly (Buffer | undefined)[]): LauncherChild | undefined {
  // posix_spawn takes a path: a bare name (qemu-aarch64-static, found on PATH) goes the usual way.
  if (process.env.HAFEN_QUICK_SPAWN === '0' || !bin.includes('/') || !nativeAvailable()) return undefined;
  if (!listening) {
    // Node's signal listeners do not keep the loop alive; libuv's own SIGCHLD handling goes on beside it.
    process.on('SIGCHLD', reapEnded);
    listening = true;
  }
  const { pid, fds } = spawnPiped(bin, [bin, ...argv], [null, null, 'read', 'socket', ...payloads.map((p) => p ?? null)], true);
  const stderr = new net.Socket({ fd: fds[2]!, readable: true, writable: false });
  const sync = new net.Socket({ fd: fds[3]!, readable: true, writable: true });
  const child = new QuickChild(pid, { sync, stderr });
  running.set(pid, child);
  return child;
}

/**
 * Starts `bin argv` (an exec into a container: issue 16, a healthcheck runs one every interval)
 * in this session with stdin on /dev/null, stdout and stderr piped to the caller, and `payloads`
 * from descriptor 4 on, as quickSpawn. Undefined where the addon does not load or `bin` is no path.
 */
export function quickExec(bin: string, argv: readonly string[], payloads: readonly (Buffer | undefined)[]): LauncherChild | undefined {
  // posix_spawn takes a path: a bare name (qemu-aarch64-static, found on PATH) goes the usual way.
  if (process.env.HAFEN_QUICK_SPAWN === '0' || !bin.includes('/') || !nativeAvailable()) return undefined;
  if (!listening) {
    process.on('SIGCHLD', reapEnded);
    listening = true;
  }
  const { pid, fds } = spawnPiped(bin, [bin, ...argv], ['null', 'read', 'read', null, ...payloads.map((p) => p ?? null)], false);
  const stdout = new net.Socket({ fd: fds[1]!, readable: true, writable: false });
  const stderr = new net.Socket({ fd: fds[2]!, readable: true, writable: false });
  const child = new QuickChild(pid, { stdout, stderr });
  running.set(pid, child);
  return child;
}

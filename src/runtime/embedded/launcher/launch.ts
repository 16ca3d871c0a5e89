/**
 * Starting containers through hafen-run. `launch` spawns it with a sync socket and resolves once
 * the container's namespaces exist (its init's host pid is known, e.g. to wire its network); `go()`
 * lets the command start. `execIn` runs a command inside a running container.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import type { Socket } from 'node:net';
import os from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { RuntimeError } from '../../../errors.js';
import { exitCodeOf, parseExitStatus, type ExitStatus } from './exit-status.js';
import { hafenRunCommand } from './hafen-run-path.js';
import { quickExec, quickSpawn, type LauncherChild } from './quick-spawn.js';
import { ENV_FD, SECCOMP_FD, SYNC_FD, envPayload, execArgv, runArgv, type LaunchSpec, type ProcessSpec } from './spec.js';

/** What happens to the launcher's stdin/stdout/stderr (the command's, unless the spec logs to a file). */
export interface LaunchOptions {
  /** Default: `inherit`, or `ignore` when the spec has a log file or detaches. */
  stdio?: 'inherit' | 'pipe' | 'ignore';
  /** Names the container in errors; default `container`. */
  name?: string;
}

/** A container whose namespaces exist; its command starts at `go()`. */
export interface LaunchedProcess {
  /** Host pid of the container's init (PID 1 inside): /proc/PID/ns/net is its network namespace. */
  readonly pid: number;
  /** Host pid of the hafen-run process that owns the container. */
  readonly launcherPid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /**
   * Lets the command start; resolves once it was exec'd, rejects with the reason it could not be.
   * `attach`: the socket of a CLI's attach helper (attach-helper.ts), whose stdio the container takes.
   */
  go(attach?: string): Promise<void>;
  /** Resolves when the container has ended (its mounts and processes are gone by then). */
  wait(): Promise<ExitStatus>;
  /** Sends a signal to the command (through init); SIGKILL kills the whole container at once. */
  kill(signal?: NodeJS.Signals): void;
  /** Stops tracking a detached container so that this process may exit while it runs on. */
  release(): void;
  /**
   * The launcher's own reason when its setup failed before the command started (waiting up to
   * `ms` for it to say so): a step that fails meanwhile (its network namespace gone) should report
   * this cause, not its symptom. Undefined while the container is sound.
   */
  setupFailure(ms: number): Promise<RuntimeError | undefined>;
}

/** Splits a stream into lines. */
function onLines(stream: Readable, handler: (line: string) => void): void {
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      handler(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  });
}

/** Collects the first few KiB of a stream, for error messages. */
function collect(stream: Readable | null): () => string {
  let text = '';
  stream?.on('data', (chunk: Buffer) => {
    if (text.length < 4096) text += chunk.toString();
  });
  return () => text.trim();
}

/** How hafen-run itself ended, when it did not report the command's status. */
function statusFromExit(code: number | null, signal: NodeJS.Signals | null): ExitStatus {
  if (code !== null) return { kind: 'exited', code, oom: false };
  return { kind: 'signaled', signal: (signal && os.constants.signals[signal]) || 9, oom: false };
}

/** True while `pid` is still a container's init (not a reused pid): it names itself hafen-setup, then hafen-init. */
function isContainerInit(pid: number): boolean {
  try {
    return /^hafen-(setup|init)\n$/.test(fs.readFileSync(`/proc/${pid}/comm`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Writes the environment into hafen-run's ENV_FD pipe and closes it (hafen-run reads it to EOF
 * before anything else). An error (hafen-run gone early) is left to its exit status to report.
 */
function sendEnv(child: ChildProcess, env: Buffer | undefined): void {
  if (!env) return;
  const pipe = child.stdio[ENV_FD] as Socket | null;
  pipe?.on('error', () => {});
  pipe?.end(env);
}

/** Writes the spec's seccomp filter to the launcher's SECCOMP_FD (it reads it whole before anything else). */
function sendSeccompFilter(child: ChildProcess, spec: ProcessSpec): void {
  if (!spec.seccompFilter) return;
  const stream = (child.stdio as readonly unknown[])[SECCOMP_FD] as Writable | undefined;
  stream?.on('error', () => {}); // the launcher died first: its exit tells the story
  stream?.end(Buffer.from(spec.seccompFilter));
}

/** Starts a container and resolves once its init's pid is known (the command waits for `go()`). */
export async function launch(spec: LaunchSpec, options: LaunchOptions = {}): Promise<LaunchedProcess> {
  const name = options.name ?? 'container';
  const io = options.stdio ?? (spec.log || spec.detach ? 'ignore' : 'inherit');
  const env = envPayload(spec);
  const stdio: StdioOptions = [io, io, io === 'ignore' ? 'pipe' : io, 'pipe', env ? 'pipe' : 'ignore', ...(spec.seccompFilter ? (['pipe'] as const) : [])];
  const [bin, argv] = hafenRunCommand(runArgv(spec, { syncFd: SYNC_FD }));
  // A detached container with nothing on stdin/stdout (what `up` starts): posix_spawn through the
  // addon, so the event loop is not held by a fork of this process (quick-spawn.ts, issue 16).
  let quick: LauncherChild | undefined;
  try {
    quick = spec.detach && io === 'ignore' ? quickSpawn(bin, argv, [env, spec.seccompFilter ? Buffer.from(spec.seccompFilter) : undefined]) : undefined;
  } catch (err) {
    throw new RuntimeError(name, `cannot run hafen-run: ${(err as Error).message}`, { cause: err });
  }
  const child: LauncherChild = quick ?? spawn(bin, argv, { stdio, detached: Boolean(spec.detach) });
  if (!quick) {
    sendEnv(child as ChildProcess, env);
    sendSeccompFilter(child as ChildProcess, spec);
  }
  const sync = child.stdio[SYNC_FD] as Socket;
  const launcherStderr = io === 'ignore' ? collect(child.stderr) : () => '';

  let pid: number | undefined;
  let error: string | undefined;
  let started = false;
  let status: ExitStatus | undefined;
  let exited = false;
  const waiters: { resolve: (s: ExitStatus) => void }[] = [];
  let goWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  const failureWaiters = new Set<() => void>();

  const failure = (what: string) =>
    new RuntimeError(name, error ?? (launcherStderr() || `hafen-run ${what}`));

  return new Promise<LaunchedProcess>((resolveLaunch, rejectLaunch) => {
    const launched: LaunchedProcess = {
      get pid() {
        return pid!;
      },
      launcherPid: child.pid!,
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: io === 'ignore' ? null : child.stderr,
      go(attach?: string) {
        if (started) return Promise.resolve();
        if (exited) return Promise.reject(failure('exited before the command started'));
        return new Promise<void>((resolve, reject) => {
          goWaiter = { resolve, reject };
          sync.write(attach !== undefined ? `attach ${attach}\ngo\n` : 'go\n');
        });
      },
      wait() {
        if (exited && status) return Promise.resolve(status);
        return new Promise<ExitStatus>((resolve) => waiters.push({ resolve }));
      },
      kill(signal: NodeJS.Signals = 'SIGTERM') {
        if (exited) return;
        try {
          // SIGKILL cannot be forwarded: it goes to init, and the kernel ends the whole pid namespace.
          if (signal === 'SIGKILL' && pid !== undefined && isContainerInit(pid)) process.kill(pid, signal);
          else child.kill(signal);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      },
      setupFailure(ms) {
        const now = (): RuntimeError | undefined => (started ? undefined : error !== undefined ? new RuntimeError(name, error) : exited ? failure('exited before the command started') : undefined);
        if (now() || started) return Promise.resolve(now());
        return new Promise((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            failureWaiters.delete(done);
            resolve(now());
          };
          const timer = setTimeout(done, ms);
          failureWaiters.add(done);
        });
      },
      release() {
        sync.destroy();
        child.stdin?.destroy();
        child.stdout?.destroy();
        child.stderr?.destroy();
        child.unref();
      },
    };

    onLines(sync, (line) => {
      const [word = '', ...rest] = line.split(' ');
      const arg = rest.join(' ');
      if (word === 'pid') {
        pid = Number(arg);
        resolveLaunch(launched);
      } else if (word === 'started') {
        started = true;
        goWaiter?.resolve();
      } else if (word === 'error') {
        error = arg;
        goWaiter?.reject(new RuntimeError(name, arg));
        goWaiter = undefined;
        for (const w of [...failureWaiters]) w();
      } else if (word === 'exit') {
        status = parseExitStatus(arg);
      }
    });
    sync.on('error', () => {}); // EPIPE after the launcher is gone: its exit tells the story

    child.on('error', (err) => rejectLaunch(new RuntimeError(name, `cannot run hafen-run: ${err.message}`, { cause: err })));
    child.on('close', (code, signal) => {
      exited = true;
      status ??= statusFromExit(code, signal);
      if (pid === undefined) rejectLaunch(failure(`exited with ${exitCodeOf(status)} before the container existed`));
      if (!started) goWaiter?.reject(failure('exited before the command started'));
      for (const w of waiters.splice(0)) w.resolve(status);
      for (const w of [...failureWaiters]) w();
    });
  });
}

/** A command running inside a container. */
export interface ExecProcess {
  readonly launcherPid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Resolves with the command's status (hafen-run's exit code: the code, or 128+signal). */
  wait(): Promise<ExitStatus>;
  kill(signal?: NodeJS.Signals): void;
}

/** Runs a command inside the running container whose init is `pid`: its namespaces, cgroups, user, env. */
export function execIn(pid: number, spec: ProcessSpec, options: LaunchOptions = {}): ExecProcess {
  const name = options.name ?? 'container';
  const io = options.stdio ?? 'inherit';
  const env = envPayload(spec);
  const [bin, argv] = hafenRunCommand(execArgv(pid, spec));
  // Output captured (a healthcheck's probe, every interval): posix_spawn through the addon, not a
  // fork of this process (quick-spawn.ts, issue 16); its stdin is /dev/null, as an ended pipe would be.
  let quick: LauncherChild | undefined;
  try {
    quick = io === 'pipe' ? quickExec(bin, argv, [env, spec.seccompFilter ? Buffer.from(spec.seccompFilter) : undefined]) : undefined;
  } catch (err) {
    throw new RuntimeError(name, `cannot run hafen-run: ${(err as Error).message}`, { cause: err });
  }
  const child = quick ?? spawn(bin, argv, { stdio: [io, io, io, 'ignore', env ? 'pipe' : 'ignore', ...(spec.seccompFilter ? (['pipe'] as const) : [])] });
  if (!quick) {
    sendEnv(child as ChildProcess, env);
    sendSeccompFilter(child as ChildProcess, spec);
  }
  const done = new Promise<ExitStatus>((resolve, reject) => {
    child.on('error', (err) => reject(new RuntimeError(name, `cannot run hafen-run: ${err.message}`, { cause: err })));
    child.on('close', (code, signal) => resolve(statusFromExit(code, signal)));
  });
  return {
    launcherPid: child.pid ?? -1,
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    wait: () => done,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      child.kill(signal);
    },
  };
}

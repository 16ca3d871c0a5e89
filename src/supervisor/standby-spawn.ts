/**
 * The command's side of a supervisor on standby (standby-order.ts): `up` spawns one as soon as it
 * runs, so Node starting and loading the supervisor happens beside the loading and checking of the
 * stack file, and then either orders it to serve the project (once the checks passed and the
 * project's folder is made) or dismisses it. A dismissed one, or one whose command died, exits
 * having made nothing.
 */
import type { ChildProcess } from 'node:child_process';
import { childProcess } from '../lazy-child-process.js';
import type { Socket } from 'node:net';
import { READY_FD_ENV } from './spawn-flags.js';

/** A spawned supervisor process and the channel on which it says `ready`. */
export interface LaunchedSupervisor {
  child: ChildProcess;
  ready: NodeJS.ReadableStream & { destroy(): void };
  /** The exit code once it exited (null: by a signal), undefined while it runs. */
  exited(): number | null | undefined;
}

/** The exits of dismissed standby supervisors, wherever they were dismissed: the command waits for them before it ends. */
const dying = new Set<Promise<void>>();

/** Resolves once every standby supervisor this process dismissed has exited (each waited for at most 2 s). */
export async function dismissedStandbysGone(): Promise<void> {
  await Promise.all(dying);
}

/** A supervisor process waiting for its project. */
export class StandbySupervisor {
  private exitCode: number | null | undefined;
  private state: 'waiting' | 'ordered' | 'dismissed' = 'waiting';

  private constructor(
    private readonly child: ChildProcess,
    private readonly channel: Socket,
    /** The root and project on its command line (what `ps` and the leak checks read): it serves only these. */
    private readonly root: string,
    private readonly project: string,
  ) {
    child.once('exit', (code) => (this.exitCode = code));
    channel.on('error', () => undefined); // a child that died: order() says so
  }

  /**
   * Spawns one (`node FLAGS ENTRY --root ROOT --project PROJECT --standby`) for the project the
   * command is expected to name; undefined when that fails.
   */
  static spawn(entry: string, nodeFlags: readonly string[], root: string, project: string): StandbySupervisor | undefined {
    try {
      const child = childProcess().spawn(process.execPath, [...nodeFlags, entry, '--root', root, '--project', project, '--standby'], {
        detached: true,
        stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
        env: { ...process.env, [READY_FD_ENV]: '3' },
      });
      child.on('error', () => undefined);
      child.unref();
      const channel = child.stdio[3] as Socket;
      channel.unref();
      return new StandbySupervisor(child, channel, root, project);
    } catch {
      return undefined;
    }
  }

  /**
   * Tells it to serve `project` (whose folder exists) with this process's environment as it is now;
   * undefined when it is gone or was spawned for another project or root (it is dismissed then; the
   * caller spawns one the usual way).
   */
  order(root: string, project: string): LaunchedSupervisor | undefined {
    if (root !== this.root || project !== this.project) this.dismiss();
    if (this.state !== 'waiting' || this.exitCode !== undefined || this.channel.destroyed) return undefined;
    this.state = 'ordered';
    this.channel.ref();
    this.channel.write(`${JSON.stringify({ env: { ...process.env, HAFEN_ROOT: root } })}\n`);
    return { child: this.child, ready: this.channel, exited: () => this.exitCode };
  }

  /** Lets it go unused: killed at once (it made nothing), so nothing of it outlives the command. */
  dismiss(): void {
    if (this.state !== 'waiting') return;
    this.state = 'dismissed';
    this.channel.destroy();
    if (this.exitCode === undefined) {
      this.child.kill('SIGKILL');
      dying.add(this.gone(2_000));
    }
  }

  /**
   * Resolves once the process has exited, or after `ms`: a command that dismissed it waits, so no
   * supervisor of a refused `up` is still dying when the command has returned (a loaded machine
   * takes a moment to run a SIGKILLed process's exit).
   */
  gone(ms: number): Promise<void> {
    if (this.exitCode !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

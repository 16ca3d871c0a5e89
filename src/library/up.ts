/**
 * `up()` for test suites and scripts: the same engine as `stack up -d`, as one call that resolves to
 * a RunningStack once every service is ready, or rejects with the StackError that stopped it (after
 * taking down what it started, unless `rollback: false`).
 */
import { loadStack } from '../config/index.js';
import type { Millis } from '../config/model.js';
import { parseDuration } from '../config/units.js';
import { fanOut, type EventSink } from '../executor/events.js';
import { stopWhenEmpty } from '../orchestrator/down.js';
import { chooseRuntime, openProjectRuntime, withProjectLock } from '../orchestrator/project-runtime.js';
import { recordReadiness } from '../orchestrator/ready-records.js';
import { upStack } from '../orchestrator/up.js';
import { buildGraph } from '../planner/index.js';
import { assertRuntimeSupports } from '../planner/runtime-support.js';
import { selectServices } from '../planner/select.js';
import { RunningStack } from './running-stack.js';

/** What to bring up, and how. Everything is optional: by default the stack file of the working directory. */
export interface UpOptions {
  /** The stack file, or several merged in order as Compose merges them, relative to `cwd`; default: stack.yaml (or compose.yaml, …) in `cwd`, with its override file. */
  file?: string | string[];
  /** Folder `file` and the file's relative paths are resolved from; default: process.cwd(). */
  cwd?: string;
  /** Project name, instead of the file's `name:` or its folder's name. Tests pass a unique one. */
  project?: string;
  /** Only these services (and what they depend on); default: all. */
  services?: string[];
  /** Variables for `${…}` in the file, instead of process.env (`.env` beside the file still fills gaps). */
  env?: Record<string, string | undefined>;
  /** Profiles to enable. */
  profiles?: string[];
  /** Build images even when present. */
  build?: boolean;
  /** Longest wait for one service to be ready: milliseconds or a duration like `30s`; default 2m. */
  waitTimeout?: Millis | string;
  /** On failure, stop and remove what this call created (default true); with false it stays for a look, and `stack -p NAME down` removes it. */
  rollback?: boolean;
  /** State root of the embedded runtime; default HAFEN_ROOT or /var/lib/hafen. */
  root?: string;
  /** Every progress event (the same stream `--progress json` prints); default: none are shown. */
  onEvent?: EventSink;
  /** Stops what is in progress; `up` then rejects. */
  signal?: AbortSignal;
  /** Told each warning of the loader once (an unset variable, …); default: none are shown. */
  onWarning?: (message: string) => void;
}

/** Brings the stack up and waits until it is ready. */
export async function up(options: UpOptions = {}): Promise<RunningStack> {
  const stack = await loadStack({
    ...(options.file !== undefined ? { file: options.file } : {}),
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.project !== undefined ? { project: options.project } : {}),
    ...(options.profiles ? { profiles: options.profiles } : {}),
    env: options.env ?? process.env,
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  buildGraph(stack); // throws CycleError naming the cycle
  const starting = selectServices(stack, options.services ?? [], { profiles: options.profiles ?? [] });
  assertRuntimeSupports(stack, chooseRuntime(stack.runtime).runtime, [...starting]); // only what this up starts
  const sink: EventSink = options.onEvent ?? (() => {});
  const rollback = options.rollback ?? true;
  const waitTimeout = typeof options.waitTimeout === 'string' ? parseDuration(options.waitTimeout) : options.waitTimeout;

  const opened = await openProjectRuntime(stack.name, {
    stack,
    supervise: true,
    ...(options.root !== undefined ? { root: options.root } : {}),
    ...(stack.runtime ? { runtime: stack.runtime } : {}),
  });
  try {
    await withProjectLock(opened.root, stack.name, async () => {
      try {
        await upStack(stack, {
          runtime: opened.runtime,
          // `ready:` results where `stack ps` can read them (ready-records.ts).
          sink: fanOut(recordReadiness(opened.root, stack), sink),
          rollback,
          root: opened.root,
          ...(options.services ? { services: options.services } : {}),
          ...(options.profiles ? { profiles: options.profiles } : {}),
          ...(options.build ? { build: true } : {}),
          ...(waitTimeout !== undefined ? { waitTimeout } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (err) {
        if (rollback) await stopWhenEmpty(opened, stack.name);
        throw err;
      }
    });
  } catch (err) {
    await opened.close();
    throw err;
  }
  return new RunningStack(stack, opened, sink);
}

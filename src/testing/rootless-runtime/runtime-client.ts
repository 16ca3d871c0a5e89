/**
 * The embedded runtime of the rootless test user, for tests that run as root: a `Runtime` whose
 * every call is made by the driver (driver-main.ts), a process of that user inside its user
 * namespace, over the driver's stdin and stdout. The conformance suite's `embedded-rootless`
 * runtime (e2e/conformance/runtimes.ts) is this.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromWire, lineSplitter } from '../../supervisor/protocol.js';
import { specToWire } from '../../supervisor/wire-spec.js';
import type { ContainerSpec, Runtime } from '../../runtime/runtime.js';
import { rootlessCommand, rootlessUser } from '../rootless-user.js';
import { encodeArgs, type DriverResponse } from './driver-wire.js';

/**
 * The driver's compiled script (tsc's dist/, made by `npm run build`: transpiling the runtime's
 * sources at each start, twice with the re-run, took 20 s on a busy machine). Its path in a
 * process's argv marks that process as a driver (leak checks leave it out).
 */
export const DRIVER_SCRIPT = ((): string => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  if (here.includes(`${path.sep}dist${path.sep}`)) return path.join(here, 'driver-main.js');
  const root = here.split(`${path.sep}src${path.sep}`)[0]!;
  return path.join(root, 'dist', path.relative(root, here), 'driver-main.js');
})();

/** Methods that answer with an async iterable. */
const STREAMING = new Set(['logs', 'events']);

/** The runtime, and the driver's own calls. */
export interface RootlessRuntime extends Runtime {
  /** Stores the busybox test image in the user's store; resolves to its name. */
  importBusybox(): Promise<string>;
  /** The embedded runtime's cleanupProject, as the user. */
  cleanupProject(project: string): Promise<void>;
}

/** Where the driver keeps the user's state. */
export interface DriverPlaces {
  /** HAFEN_ROOT: the user's state root (owned by the user). */
  root: string;
  /** XDG_RUNTIME_DIR: the holder's record goes to `<it>/hafen` (owned by the user, 0700). */
  runtimeDir: string;
  /** HAFEN_SUBNET_POOL. */
  subnetPool: string;
  /** HAFEN_CGROUP_PARENT: a cgroup delegated to the user (src/testing/rootless-cgroup.ts); default none. */
  cgroupParent?: string;
}

interface Call {
  resolve(v: unknown): void;
  reject(e: Error): void;
  item?(v: unknown): void;
  callbacks: ((v: unknown) => void)[];
}

/** Starts the driver as the rootless test user; resolves once it serves (inside the user's namespace). */
async function startDriver(places: DriverPlaces): Promise<Driver> {
  if (!fs.existsSync(DRIVER_SCRIPT)) throw new Error(`${DRIVER_SCRIPT} is missing: run \`npm run build\` first (npm test does)`);
  const [cmd, ...args] = rootlessCommand(process.execPath, [DRIVER_SCRIPT]);
  const child = spawn(cmd!, args, {
    cwd: places.runtimeDir, // the state root may not be made yet
    env: { ...rootlessUser().env, HAFEN_ROOT: places.root, XDG_RUNTIME_DIR: places.runtimeDir, HAFEN_SUBNET_POOL: places.subnetPool, ...(places.cgroupParent ? { HAFEN_CGROUP_PARENT: places.cgroupParent } : {}) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
    if (process.env.HAFEN_DRIVER_DEBUG) process.stderr.write(b);
  });
  const calls = new Map<number, Call>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => (child.on('exit', () => resolve()), child.on('error', () => resolve())));
  const ready = new Promise<void>((resolve, reject) => {
    calls.set(0, { resolve: () => resolve(), reject, callbacks: [] });
    child.on('error', (err) => {
      for (const c of calls.values()) c.reject(new Error(`cannot start the rootless runtime driver: ${err.message}`));
      calls.clear();
    });
    child.on('exit', (code, signal) => {
      const err = new Error(`the rootless runtime driver exited (${signal ?? code}): ${stderr.trim()}`);
      for (const c of calls.values()) c.reject(err);
      calls.clear();
    });
  });
  child.stdout!.on(
    'data',
    lineSplitter((line) => {
      if (!line.startsWith('{')) return void process.stderr.write(`driver stdout: ${line}\n`);
      const r = JSON.parse(line) as DriverResponse;
      const call = calls.get(r.id);
      if (!call) return;
      if ('item' in r) return call.item?.(r.item);
      if ('callback' in r) return call.callbacks[r.callback]?.(r.value);
      calls.delete(r.id);
      if (r.ok) call.resolve(r.result ?? undefined);
      else call.reject(fromWire(r.error));
    }),
  );
  await ready;

  /** Sends one call; `item` gets a stream's items. */
  const call = (method: string, rawArgs: unknown[], item?: (v: unknown) => void): Promise<unknown> => {
    const id = nextId++;
    const callbacks: ((v: unknown) => void)[] = [];
    const signals: AbortSignal[] = [];
    const args = encodeArgs(rawArgs, (fn) => callbacks.push(fn) - 1, (s) => signals.push(s));
    const cancel = (): void => void (child.stdin!.writable && child.stdin!.write(`${JSON.stringify({ id, cancel: true })}\n`));
    for (const s of signals) {
      if (s.aborted) queueMicrotask(cancel);
      else s.addEventListener('abort', cancel, { once: true });
    }
    return new Promise((resolve, reject) => {
      if (!child.stdin!.writable) return reject(new Error('the rootless runtime driver is closed'));
      calls.set(id, { resolve, reject, callbacks, ...(item ? { item } : {}) });
      child.stdin!.write(`${JSON.stringify({ id, method, args })}\n`);
    });
  };

  /** A streaming call as an async iterable. */
  async function* stream(method: string, args: unknown[]): AsyncGenerator<unknown> {
    const queue: unknown[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let failure: Error | undefined;
    call(method, args, (v) => (queue.push(v), wake?.()))
      .catch((err: Error) => (failure = err))
      .finally(() => ((done = true), wake?.()));
    for (;;) {
      if (queue.length > 0) {
        yield queue.shift();
        continue;
      }
      if (failure) throw failure;
      if (done) return;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  }

  return {
    call: (method, args) => (method === 'createContainer' ? call(method, [specToWire(args[0] as ContainerSpec)]) : call(method, args)),
    stream,
    close: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}

/** A started driver. */
interface Driver {
  call(method: string, args: unknown[]): Promise<unknown>;
  stream(method: string, args: unknown[]): AsyncIterable<unknown>;
  close(): Promise<void>;
}

/**
 * The rootless user's runtime at `places`. The driver starts on the first call (so this can be
 * made where a Runtime is made synchronously); `close()` ends it, and the driver's outer process
 * then stops the user's holder when no project is left.
 */
export function rootlessRuntime(places: DriverPlaces): RootlessRuntime {
  let started: Promise<Driver> | undefined;
  const driver = (): Promise<Driver> => (started ??= startDriver(places));
  return new Proxy({} as RootlessRuntime, {
    get(_target, prop) {
      if (prop === 'name') return 'embedded';
      if (typeof prop !== 'string' || prop === 'then') return undefined; // not a thenable
      if (prop === 'close') return async () => (started ? (await started).close() : undefined);
      if (STREAMING.has(prop)) {
        return (...args: unknown[]) =>
          (async function* () {
            yield* (await driver()).stream(prop, args);
          })();
      }
      return async (...args: unknown[]) => (await driver()).call(prop, args);
    },
  });
}

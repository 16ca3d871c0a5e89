/**
 * The runtimes the CLI tests run a stack on, as one table: the embedded runtime (a state root of
 * the test's own, a subnet pool of its own), the machine's dockerd, and (asked for with
 * `{ rootless: true }`) the embedded runtime as the rootless test user `hafen-rootless` (issue 17:
 * the CLI run as that user, its state under XDG folders of the test's own); each with its busybox
 * test image, the CLI's environment, how the CLI is run, and what a project left behind.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { importBusyboxImage as importDockerBusybox } from '../src/runtime/docker/test-images.js';
import { openStore } from '../src/runtime/embedded/store/index.js';
import { importBusyboxImage } from '../src/testing/busybox-image.js';
import type { RootlessPlaces } from '../src/testing/rootless-leaks.js';
import { rootlessRuntime } from '../src/testing/rootless-runtime/runtime-client.js';
import { delegateCgroupToRootlessUser, orphanedDelegatedCgroupLeaks, whyNoCgroupDelegation, type DelegatedCgroup } from '../src/testing/rootless-cgroup.js';
import { giveToRootlessUser, rootlessCommand, rootlessUser, runAsRootlessUser } from '../src/testing/rootless-user.js';
import { cliPath, stack, type CliResult } from './cli.js';
import { dockerLeaks } from './conformance/runtimes.js';
import { rootlessStackLeftovers, stackLeftovers } from './stack-leftovers.js';

/** One runtime under test. */
export interface CliTarget {
  /** Its name in test titles and in e2e/conformance/runtimes.ts (whose requirements it has). */
  name: 'embedded' | 'docker' | 'embedded-rootless';
  /** What `--runtime` says for it. */
  runtime: 'embedded' | 'docker';
  /** Makes the runtime's busybox image for a test folder (given to the target's user); resolves to its name. */
  setup(dir: string): Promise<string>;
  /** The CLI's environment for this runtime (state root, subnet pool). */
  env(): Record<string, string>;
  /** The embedded runtime's state root ('' on Docker). */
  stateRoot(): string;
  /** What `project` left on the machine: mounts, links, cgroups, processes, containers, … */
  leftovers(project: string): string[];
  /** `stack ...args` as this target's user, with its environment plus `env`. */
  stack(args: string[], opts: { cwd: string; env?: Record<string, string>; timeout?: number }): CliResult;
  /** Starts `stack ...args` as this target's user without waiting (attached commands). */
  spawn(args: string[], opts: { cwd: string; env?: Record<string, string> }): ChildProcess;
  /** Gives a folder (and what is in it) the test made to the target's user, so its CLI may read and write there. */
  handOver(dir: string): void;
  /** Ends the target after its tests (rootless: removes the cgroup delegated to the user); returns what its projects left there. */
  close(): string[];
}

/** The CLI as root: `stack()` of cli.js, with the target's environment. */
function asRoot(env: () => Record<string, string>): Pick<CliTarget, 'stack' | 'spawn' | 'handOver'> {
  return {
    stack: (args, opts) => stack(args, { cwd: opts.cwd, env: { ...env(), ...opts.env }, timeout: opts.timeout ?? 90_000 }),
    spawn: (args, opts) => spawn(process.execPath, ['--', cliPath, ...args], { cwd: opts.cwd, env: { ...process.env, NO_COLOR: '1', ...env(), ...opts.env } }),
    handOver: () => {},
  };
}

/** The parts of a target run as root with nothing to end. */
const NOTHING_TO_CLOSE = { close: (): string[] => [] };

/**
 * The rootless pool beside a root one: `10.N.0.0/16:24` becomes `10.216.N.0/24:27` (eight /27s),
 * so a file's root and rootless runs never share addresses (each rootless run's networks live in
 * its own holder's network namespace anyway).
 */
export function rootlessPool(subnetPool: string): string {
  const n = /^10\.(\d+)\.0\.0\/16:24$/.exec(subnetPool)?.[1];
  if (!n) throw new Error(`rootlessPool: ${subnetPool} is not 10.N.0.0/16:24`);
  return `10.216.${n}.0/24:27`;
}

/**
 * The embedded runtime as the rootless test user: the test folder is the user's; its state under
 * `<dir>/xdg-data/hafen`, its holder's record under `<dir>/xdg-run/hafen` (both its own, so test
 * files running at once never share a holder); the busybox image imported by the user.
 */
function rootlessTarget(subnetPool: string): CliTarget {
  let places: RootlessPlaces | undefined;
  let xdg: Record<string, string> = {};
  let cgroup: DelegatedCgroup | undefined;
  const env = (): Record<string, string> => ({ ...xdg, HAFEN_SUBNET_POOL: subnetPool, NO_COLOR: '1', ...(cgroup ? { HAFEN_CGROUP_PARENT: cgroup.name } : {}) });
  return {
    name: 'embedded-rootless',
    runtime: 'embedded',
    setup: async (dir) => {
      xdg = { XDG_DATA_HOME: path.join(dir, 'xdg-data'), XDG_RUNTIME_DIR: path.join(dir, 'xdg-run') };
      for (const d of Object.values(xdg)) fs.mkdirSync(d, { mode: 0o700 });
      // A cgroup of the user's own, as root would delegate one: limits, stats and pause work as for root.
      if (!whyNoCgroupDelegation()) cgroup = delegateCgroupToRootlessUser();
      places = { dataRoot: path.join(xdg.XDG_DATA_HOME!, 'hafen'), runtimeDir: xdg.XDG_RUNTIME_DIR!, ...(cgroup ? { cgroupParent: cgroup.name } : {}) };
      fs.chmodSync(dir, 0o755);
      giveToRootlessUser(dir);
      const runtime = rootlessRuntime({ root: places.dataRoot, runtimeDir: places.runtimeDir, subnetPool });
      try {
        return await runtime.importBusybox();
      } finally {
        await runtime.close();
      }
    },
    env,
    stateRoot: () => places?.dataRoot ?? '',
    leftovers: (project) => (places ? rootlessStackLeftovers(project, places) : []),
    stack: (args, opts) => {
      const r = runAsRootlessUser(process.execPath, ['--', cliPath, ...args], { env: { ...env(), ...opts.env }, cwd: opts.cwd, timeoutMs: opts.timeout ?? 90_000 });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    spawn: (args, opts) => {
      const [cmd, ...rest] = rootlessCommand(process.execPath, ['--', cliPath, ...args]);
      const options: SpawnOptions = { cwd: opts.cwd, env: { ...rootlessUser().env, ...env(), ...opts.env } };
      return spawn(cmd!, rest, options);
    },
    handOver: giveToRootlessUser,
    close: () => {
      const left = cgroup?.children().map((d) => `cgroup ${d}`) ?? [];
      cgroup?.remove();
      cgroup = undefined;
      // Any test file's delegated cgroup whose maker ended without removing it.
      left.push(...orphanedDelegatedCgroupLeaks());
      return left;
    },
  };
}

/**
 * Both runtimes as root; the embedded one takes its subnets from `subnetPool` (`10.2xx.0.0/16:24`,
 * one per test file). With `rootless`, the embedded runtime as the rootless test user too, on a
 * pool derived from it (rootlessPool).
 */
export function cliTargets(subnetPool: string, opts: { rootless?: boolean } = {}): CliTarget[] {
  let root = '';
  const embeddedEnv = (): Record<string, string> => ({ HAFEN_ROOT: root, HAFEN_SUBNET_POOL: subnetPool });
  return [
    {
      name: 'embedded',
      runtime: 'embedded',
      setup: async (dir) => {
        root = path.join(dir, 'root');
        return importBusyboxImage(openStore(root));
      },
      env: embeddedEnv,
      stateRoot: () => root,
      leftovers: (project) => stackLeftovers(project, root),
      ...asRoot(embeddedEnv),
      ...NOTHING_TO_CLOSE,
    },
    {
      name: 'docker',
      runtime: 'docker',
      setup: () => importDockerBusybox(new DockerRuntime().docker),
      env: () => ({}),
      stateRoot: () => '',
      leftovers: (project) => dockerLeaks(project),
      ...asRoot(() => ({})),
      ...NOTHING_TO_CLOSE,
    },
    ...(opts.rootless ? [rootlessTarget(rootlessPool(subnetPool))] : []),
  ];
}

/** `stack --runtime NAME -f FILE -p PROJECT --progress plain ...args` in `cwd`, as the target's user runs it (`env` over the target's). */
export function stackOn(target: CliTarget, cwd: string, file: string, project: string, args: string[], env?: Record<string, string>): CliResult {
  return target.stack(['--runtime', target.runtime, '-f', file, '-p', project, '--progress', 'plain', ...args], { cwd, timeout: 90_000, ...(env ? { env } : {}) });
}

/** A describe block's projects on one target (projectsOn). */
export interface TargetProjects {
  /** The block's test folder (made before its tests, given to the target's user). */
  readonly dir: string;
  /** `<dir>/stack.yaml`, written from `stack(image)` when given. */
  readonly file: string;
  /** The target's busybox test image. */
  readonly image: string;
  /** A new project `<prefix><hex>`, taken down (and checked for leftovers) after the test. */
  newProject(prefix: string): string;
  /** `stackOn` in the folder with `file` (or another stack file of it). */
  run(project: string, args: string[], file?: string): CliResult;
  /** `run`, expecting exit 0. */
  ok(project: string, args: string[], file?: string): CliResult;
}

/**
 * The scaffolding of a describe block that runs projects on `target`, as hooks of that block: before
 * all, a test folder (`hafen-<tmpPrefix>-<target>-…`), the target's image and the stack file; after
 * each test, `down` of every project it made (`down`: default `down -v -t 1`) and no leftovers of
 * them; after all, the target closed with nothing left in it, and the folder removed.
 */
export function projectsOn(target: CliTarget, options: { tmpPrefix: string; stack?: (image: string) => string; down?: string[] }): TargetProjects {
  let dir = '';
  let image = '';
  const projects: string[] = [];
  const file = (): string => path.join(dir, 'stack.yaml');
  const run = (project: string, args: string[], other?: string): CliResult => stackOn(target, dir, other ?? file(), project, args);
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `hafen-${options.tmpPrefix}-${target.name}-`));
    image = await target.setup(dir);
    if (options.stack) {
      fs.writeFileSync(file(), options.stack(image));
      target.handOver(file());
    }
  }, 120_000);
  afterEach(() => {
    for (const p of projects.splice(0)) {
      run(p, options.down ?? ['down', '-v', '-t', '1']);
      expect(target.leftovers(p), `leftovers of ${p}`).toEqual([]);
    }
  }, 120_000);
  afterAll(() => {
    const left = target.close();
    fs.rmSync(dir, { recursive: true, force: true });
    expect(left, `left in ${target.name}'s cgroup`).toEqual([]);
  });
  return {
    get dir() {
      return dir;
    },
    get file() {
      return file();
    },
    get image() {
      return image;
    },
    newProject: (prefix) => {
      const p = `${prefix}${randomBytes(3).toString('hex')}`;
      projects.push(p);
      return p;
    },
    run,
    ok: (project, args, other) => {
      const r = run(project, args, other);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r;
    },
  };
}

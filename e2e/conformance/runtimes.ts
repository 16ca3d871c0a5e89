/**
 * The runtimes the conformance suite runs against, each behind a factory, so the tests see only
 * the `Runtime` interface. What differs between runtimes (how test images get there, how a
 * project's leftovers are cleaned and found) is given here, not in the tests.
 */
import type { Runtime } from '../../src/runtime/runtime.js';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { importBusyboxImage as importDockerBusybox, importNodeImage } from '../../src/runtime/docker/test-images.js';
import { EmbeddedRuntime } from '../../src/runtime/embedded/embedded-runtime.js';
import { openStore } from '../../src/runtime/embedded/store/index.js';
import { importBusyboxImage } from '../../src/testing/busybox-image.js';
import { findLeaks } from '../../src/testing/leaks.js';
import { requireCommand, requireOverlay, requireRoot, type Requirement } from '../../src/testing/requirements.js';
import { runningHolder } from '../../src/runtime/embedded/rootless/namespace-holder.js';
import { findRootlessLeaks, rootlessUserLeftovers, type RootlessPlaces } from '../../src/testing/rootless-leaks.js';
import { DRIVER_SCRIPT, rootlessRuntime, type RootlessRuntime } from '../../src/testing/rootless-runtime/runtime-client.js';
import { delegateCgroupToRootlessUser, orphanedDelegatedCgroupLeaks, whyNoCgroupDelegation, type DelegatedCgroup } from '../../src/testing/rootless-cgroup.js';
import { giveToRootlessUser, requireRootlessUser } from '../../src/testing/rootless-user.js';

/** A Docker engine answers (DOCKER_HOST or the local socket). */
function requireDockerd(): Requirement {
  let why: string | undefined | null = null;
  return {
    name: 'dockerd',
    check: () => {
      if (why === null) {
        const r = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', timeout: 10_000 });
        why = r.error ? 'the docker CLI is not installed' : r.status !== 0 ? `no Docker engine answers: ${r.stderr.trim().split('\n')[0]}` : undefined;
      }
      return why;
    },
  };
}

/** What Docker still has of `project`: containers, networks and volumes by label. */
export function dockerLeaks(project: string): string[] {
  const filter = ['--filter', `label=io.hafen.project=${project}`];
  const list = (args: string[]) => execFileSync('docker', [...args, ...filter], { encoding: 'utf8' }).split('\n').filter(Boolean);
  return [
    ...list(['ps', '-a', '--format', 'container {{.Names}}']),
    ...list(['network', 'ls', '--format', 'network {{.Name}}']),
    ...list(['volume', 'ls', '--format', 'volume {{.Name}}']),
  ];
}

/** Where a runtime under test keeps its state, and which slot of addresses it may use. */
export interface RuntimeSetup {
  /** A fresh temp folder of the test file. */
  root: string;
  /** 0, 1, 2…: one per test file, so files running side by side never compete for subnets. */
  slot: number;
}

/** Test images: `busybox` (sh and the busybox applets) and `node` (node and sh). */
export interface TestImages {
  busybox: string;
  node: string;
}

/** One runtime under test. */
export interface RuntimeFactory {
  name: string;
  make(setup: RuntimeSetup): Runtime;
  /** What the machine needs for this runtime; the suite skips (or fails under CI=true) without it. */
  requirements: Requirement[];
  /** Makes the test images available. */
  images(runtime: Runtime, setup: RuntimeSetup): Promise<TestImages>;
  /** Removes whatever of `project` the interface calls did not (state, crashed leftovers). */
  cleanup(runtime: Runtime, project: string): Promise<void>;
  /** What of `project` is left on the machine; empty when nothing leaked. */
  leaks(project: string, setup: RuntimeSetup): string[];
  /** Why this runtime cannot meet a check the suite makes of the others, if it cannot (the test skips that check, saying why). */
  caveat?(check: Caveat): string | undefined;
  /** Makes a folder the test made (under `root`) usable by the runtime's user (rootless: owned by it). */
  handOver?(dir: string): void;
  /** What is left once the runtime was closed (rootless: the user's holder, keeper, runtime files). */
  finalLeaks?(setup: RuntimeSetup): string[];
}

/**
 * Checks some runtime cannot meet: the order of stdout against stderr lines, privileged containers;
 * and (rootless) what needs a cgroup of its own or the host's privileges.
 */
export type Caveat = 'stream-order' | 'privileged' | 'cgroup-limits' | 'freezer' | 'devices';

/** Why the engine cannot run a privileged container here: Docker grants every capability up to cap_last_cap. */
function privilegedCaveat(): string | undefined {
  const last = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  const bounding = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]}`);
  const all = (1n << BigInt(last + 1)) - 1n;
  if ((bounding & all) === all) return undefined;
  return 'this machine\'s capability bounding set lacks some of the kernel\'s capabilities, so `docker run --privileged` itself fails here';
}

/** The cgroup delegated to the rootless user for each test file's folder (by its root), removed with the runtime. */
const rootlessCgroups = new Map<string, DelegatedCgroup>();

/** Where a test file's folder names its delegated cgroup, for helper processes given the folder. */
const cgroupNameFile = (root: string): string => path.join(root, 'delegated-cgroup');

/**
 * The cgroup the rootless user's runtime on `root` uses: the first runtime made on the folder (the
 * test file's own) delegates one and names it in the folder; a helper process given the same folder
 * (fixtures/start-and-hang.ts, SIGKILLed by its test) uses that one, so it makes none that nobody
 * would remove, and its containers' cgroups are where the test's cleanup and leak check look.
 */
function rootlessCgroupParent(root: string): string | undefined {
  const named = delegatedCgroupName(root);
  if (named !== undefined || whyNoCgroupDelegation()) return named;
  const cgroup = delegateCgroupToRootlessUser();
  rootlessCgroups.set(root, cgroup);
  fs.writeFileSync(cgroupNameFile(root), cgroup.name);
  return cgroup.name;
}

/** The name of the cgroup delegated for `root`, when one was. */
function delegatedCgroupName(root: string): string | undefined {
  const made = rootlessCgroups.get(root);
  if (made) return made.name;
  try {
    return fs.readFileSync(cgroupNameFile(root), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The rootless user's places for a test file's folder: state under `root/data`, the holder's
 * record under `root/run`, the file's delegated cgroup; the driver's own processes are spared by
 * the leak check.
 */
function rootlessPlaces(root: string): RootlessPlaces {
  const cgroupParent = delegatedCgroupName(root);
  return { dataRoot: path.join(root, 'data'), runtimeDir: path.join(root, 'run'), spare: (argv) => argv.includes(DRIVER_SCRIPT), ...(cgroupParent ? { cgroupParent } : {}) };
}

/**
 * Why the rootless runtime cannot do a check here. Each test file's user gets a cgroup of its own
 * (src/testing/rootless-cgroup.ts: `<hierarchy>/hafen-rlt<random>`, as root would delegate one), so
 * limits, usage and pausing run as for root where the host has the controllers. The device checks
 * need the host's block devices and a device cgroup, which a user namespace cannot have (the kernel
 * refuses every device node a user namespace makes, and the devices controller is never delegated):
 * they stay root-only. A privileged container of a user holds only the user namespace's
 * capabilities, not the host's devices.
 */
function rootlessCaveat(check: Caveat): string | undefined {
  switch (check) {
    case 'cgroup-limits':
    case 'freezer':
      return whyNoCgroupDelegation();
    case 'devices':
      return 'root-only: a user namespace cannot open the host\'s device nodes, and the devices controller is never delegated to a user';
    case 'privileged':
      return 'a privileged container of a user without root holds the user namespace\'s capabilities only: no host devices, no host /sys';
    default:
      return undefined;
  }
}

export const runtimes: RuntimeFactory[] = [
  {
    name: 'embedded',
    make: ({ root, slot }) => new EmbeddedRuntime({ root, subnetPool: [{ range: `10.${220 + slot}.0.0/16`, prefix: 24 }] }),
    requirements: [requireRoot(), requireOverlay(), requireCommand('busybox'), requireCommand('ip'), requireCommand('nsenter')],
    images: async (_runtime, { root }) => ({ busybox: await importBusyboxImage(openStore(root)), node: 'host' }),
    cleanup: (runtime, project) => (runtime as EmbeddedRuntime).cleanupProject(project),
    leaks: (project, { root }) => findLeaks(project, { root }),
  },
  // The supervisor's embedded runtime prepares each start at create time (issue 16,
  // containers/prepared-starts.ts): the same checks, with its own addresses (7 /24s per slot).
  {
    name: 'embedded, starts prepared',
    make: ({ root, slot }) =>
      new EmbeddedRuntime({ root, prepareStarts: true, subnetPool: Array.from({ length: 7 }, (_, i) => ({ range: `10.212.${slot * 7 + i}.0/24`, prefix: 24 })) }),
    requirements: [requireRoot(), requireOverlay(), requireCommand('busybox'), requireCommand('ip'), requireCommand('nsenter')],
    images: async (_runtime, { root }) => ({ busybox: await importBusyboxImage(openStore(root)), node: 'host' }),
    cleanup: (runtime, project) => (runtime as EmbeddedRuntime).cleanupProject(project),
    leaks: (project, { root }) => findLeaks(project, { root }),
  },
  {
    name: 'docker',
    make: () => new DockerRuntime(),
    requirements: [requireDockerd(), requireCommand('busybox')],
    images: async (runtime) => {
      const { docker } = runtime as DockerRuntime;
      return { busybox: await importDockerBusybox(docker), node: await importNodeImage(docker) };
    },
    cleanup: (runtime, project) => (runtime as DockerRuntime).cleanupProject(project),
    leaks: (project) => dockerLeaks(project),
    caveat: (check) =>
      check === 'stream-order'
        ? 'Docker reads stdout and stderr through two pipes and does not keep their relative order (`docker logs` shows the same)'
        : check === 'privileged'
          ? privilegedCaveat()
          : undefined,
  },
  {
    // The embedded runtime as the rootless test user (issue 17): every call is made by a driver
    // process of that user inside its user namespace (src/testing/rootless-runtime/). Its subnets:
    // 10.215/10.216, an /21 per slot, apart from the root run's so both run at once.
    name: 'embedded-rootless',
    make: ({ root, slot }) => {
      const places = rootlessPlaces(root);
      for (const dir of [places.dataRoot, places.runtimeDir]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.chmodSync(root, 0o755);
      giveToRootlessUser(root);
      const cgroupParent = rootlessCgroupParent(root);
      return rootlessRuntime({
        root: places.dataRoot,
        runtimeDir: places.runtimeDir,
        subnetPool: `10.${215 + (slot >> 5)}.${(slot & 31) * 8}.0/21:24`,
        ...(cgroupParent ? { cgroupParent } : {}),
      });
    },
    requirements: [requireRootlessUser(), requireOverlay(), requireCommand('busybox'), requireCommand('ip')],
    images: async (runtime) => ({ busybox: await (runtime as RootlessRuntime).importBusybox(), node: 'host' }),
    cleanup: (runtime, project) => (runtime as RootlessRuntime).cleanupProject(project),
    leaks: (project, { root }) => findRootlessLeaks(project, rootlessPlaces(root)),
    caveat: rootlessCaveat,
    handOver: giveToRootlessUser,
    finalLeaks: ({ root }) => {
      const places = rootlessPlaces(root);
      const left = rootlessUserLeftovers(places);
      // Reported, then stopped: a failed run must not leave the user's holder (and its namespaces) behind.
      const holder = runningHolder(path.join(places.runtimeDir, 'hafen'));
      if (holder) process.kill(holder.pid, 'SIGKILL');
      const cgroup = rootlessCgroups.get(root);
      if (cgroup) {
        left.push(...cgroup.children().map((d) => `cgroup ${d}`));
        cgroup.remove();
        rootlessCgroups.delete(root);
      }
      // Any test file's delegated cgroup whose maker ended without removing it.
      left.push(...orphanedDelegatedCgroupLeaks());
      return left;
    },
  },
];

/** The factory named `name`. */
export function runtimeNamed(name: string): RuntimeFactory {
  const found = runtimes.find((r) => r.name === name);
  if (!found) throw new Error(`no runtime named ${name}; known: ${runtimes.map((r) => r.name).join(', ')}`);
  return found;
}

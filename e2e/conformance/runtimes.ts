/**
 * The runtimes the conformance suite runs against, each behind a factory, so the tests see only
 * the `Runtime` interface. What differs between runtimes (how test images get there, how a
 * project's leftovers are cleaned and found) is given here, not in the tests.
 */
import type { Runtime } from '../../src/runtime/runtime.js';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { importBusyboxImage as importDockerBusybox, importNodeImage } from '../../src/runtime/docker/test-images.js';
import { EmbeddedRuntime } from '../../src/runtime/embedded/embedded-runtime.js';
import { openStore } from '../../src/runtime/embedded/store/index.js';
import { importBusyboxImage } from '../../src/testing/busybox-image.js';
import { findLeaks } from '../../src/testing/leaks.js';
import { requireCommand, requireOverlay, requireRoot, type Requirement } from '../../src/testing/requirements.js';

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
}

/** Checks some runtime cannot meet: the order of stdout against stderr lines, privileged containers. */
export type Caveat = 'stream-order' | 'privileged';

/** Why the engine cannot run a privileged container here: Docker grants every capability up to cap_last_cap. */
function privilegedCaveat(): string | undefined {
  const last = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  const bounding = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]}`);
  const all = (1n << BigInt(last + 1)) - 1n;
  if ((bounding & all) === all) return undefined;
  return 'this machine\'s capability bounding set lacks some of the kernel\'s capabilities, so `docker run --privileged` itself fails here';
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
        : privilegedCaveat(),
  },
];

/** The factory named `name`. */
export function runtimeNamed(name: string): RuntimeFactory {
  const found = runtimes.find((r) => r.name === name);
  if (!found) throw new Error(`no runtime named ${name}; known: ${runtimes.map((r) => r.name).join(', ')}`);
  return found;
}

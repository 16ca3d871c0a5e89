/**
 * The runtimes the conformance suite runs against, each behind a factory, so the tests see only
 * the `Runtime` interface. What differs between runtimes (how test images get there, how a
 * project's leftovers are cleaned and found) is given here, not in the tests.
 */
import type { Runtime } from '../../src/runtime/runtime.js';
import { EmbeddedRuntime } from '../../src/runtime/embedded/embedded-runtime.js';
import { openStore } from '../../src/runtime/embedded/store/index.js';
import { importBusyboxImage } from '../../src/testing/busybox-image.js';
import { findLeaks } from '../../src/testing/leaks.js';
import { requireCommand, requireOverlay, requireRoot, type Requirement } from '../../src/testing/requirements.js';

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
];

/** The factory named `name`. */
export function runtimeNamed(name: string): RuntimeFactory {
  const found = runtimes.find((r) => r.name === name);
  if (!found) throw new Error(`no runtime named ${name}; known: ${runtimes.map((r) => r.name).join(', ')}`);
  return found;
}

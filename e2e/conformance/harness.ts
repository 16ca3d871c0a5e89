/**
 * What every conformance test file shares: one runtime per factory, a project per test (torn down
 * through the interface afterwards, then checked for leaks), spec builders and `eventually`.
 */
import { defaultContainerSpec } from '../../src/runtime/spec-defaults.js';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { Label, type ContainerSpec, type Runtime } from '../../src/runtime/runtime.js';
import type { Caveat, RuntimeFactory, RuntimeSetup, TestImages } from './runtimes.js';

/** The state of one test file against one runtime. */
export interface Harness {
  runtime: Runtime;
  images: TestImages;
  setup: RuntimeSetup;
  /** The current test's project (fresh per test). */
  project: string;
  /** A container spec of the current project: `name` is prefixed with the project. */
  spec(name: string, fields: Partial<ContainerSpec> & { image: string }): ContainerSpec;
  /** Labels of the current project. */
  labels(): Record<string, string>;
  /** Runtime name of a network of the current project. */
  net(name: string): string;
  /** Run first after the current test, even when it timed out (e.g. kill a helper process that would go on creating). */
  beforeCleanup(fn: () => Promise<void> | void): void;
  /** A new folder under the file's root that the runtime may read and write (bind sources, build contexts, copies). */
  tempDir(prefix: string): string;
}

/** Why `factory` cannot make `check` (said once on the console, so a skipped case shows its reason), or undefined. */
export function caveatOf(factory: RuntimeFactory, check: Caveat): string | undefined {
  const why = factory.caveat?.(check);
  if (why) console.warn(`skipped on ${factory.name} (${check}): ${why}`);
  return why;
}

/** A new project name: lowercase, unique per run. */
export function newProject(prefix: string): string {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}

/** Sets up the runtime for a describe block; each test gets its own project, removed after it. */
export function useRuntime(factory: RuntimeFactory, slot: number, prefix: string): Harness {
  const h = { project: newProject(prefix) } as Harness;
  h.labels = () => ({ [Label.project]: h.project });
  h.net = (name) => `${h.project}_${name}`;
  h.spec = (name, fields) => defaultContainerSpec(h.project, name, fields);
  const firsts: (() => Promise<void> | void)[] = [];
  h.beforeCleanup = (fn) => void firsts.push(fn);
  h.tempDir = (prefix) => {
    const dir = fs.mkdtempSync(path.join(h.setup.root, prefix));
    factory.handOver?.(dir);
    return dir;
  };

  beforeAll(async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `hafen-conformance-${factory.name}-`));
    h.setup = { root, slot };
    h.runtime = factory.make(h.setup);
    h.images = await factory.images(h.runtime, h.setup);
  }, 120_000);

  afterEach(async () => {
    for (const fn of firsts.splice(0)) await fn();
    const project = h.project;
    h.project = newProject(prefix);
    const { runtime } = h;
    const labels = { [Label.project]: project };
    for (const c of await runtime.listContainers(labels)) await runtime.removeContainer(c.name, { force: true });
    for (const n of await runtime.listNetworks(labels)) await runtime.removeNetwork(n);
    for (const v of await runtime.listVolumes(labels)) await runtime.removeVolume(v);
    await factory.cleanup(runtime, project);
    expect(factory.leaks(project, h.setup), `leaks of project ${project}`).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await h.runtime?.close();
    if (!h.setup) return;
    // Only what the runtime keeps for as long as it is open (rootless: the user's holder) is checked here.
    const left = factory.finalLeaks?.(h.setup) ?? [];
    fs.rmSync(h.setup.root, { recursive: true, force: true });
    expect(left, 'left after the runtime was closed').toEqual([]);
  }, 60_000);
  return h;
}

/** Resolves once `check` returns a value other than undefined/false (polled), failing after `ms`. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The text of a container's log, stdout and stderr lines in order. */
export async function logText(runtime: Runtime, name: string): Promise<string> {
  const lines: string[] = [];
  for await (const l of runtime.logs(name)) lines.push(l.text);
  return lines.join('\n');
}

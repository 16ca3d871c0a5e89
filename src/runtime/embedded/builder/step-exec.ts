/**
 * One build step: its cache key, a cache hit (the stored config and layer, the layer unpacked
 * again from its blob if it went missing), or a miss, which executes it: RUN in the sandbox,
 * COPY/ADD written into a fresh upper dir, WORKDIR made, metadata applied to the config. What a
 * step adds is stored before its cache entry, and a failed step leaves nothing behind.
 */
import fs from 'node:fs';
import { DockerfileError, type ConfigStep, type Step } from '../build/index.js';
import type { Digest } from '../layers/index.js';
import { MediaType, type CacheEntry, type HistoryEntry, type Store } from '../store/index.js';
import { BuildError, type StepPlace } from './build-error.js';
import { planCopy, type CopyPlan } from './copy-plan.js';
import { writeCopy } from './copy-step.js';
import type { FileDigests } from './file-digests.js';
import { hostBindPaths } from './host-image.js';
import { LayeredView } from './layered-view.js';
import { commitUpper, makeStepDirs, type StepDirs } from './layer-commit.js';
import { applyConfigStep } from './oci-config.js';
import { executeRun } from './run-step.js';
import type { RunSandbox } from './run-sandbox.js';
import type { RunSettings } from './run-settings.js';
import type { SourceRoot } from './source-listing.js';
import { addStep, lowerDirs, nextChainId, type StageState } from './stage-state.js';
import { keyOf } from './step-key.js';
import { UpperWriter } from './upper-writer.js';
import { resolveOwner } from './user-lookup.js';

/** What a step needs from the build around it. */
export interface StepContext {
  store: Store;
  /** The Dockerfile's name in messages. */
  file: string;
  noCache: boolean;
  sandbox?: RunSandbox;
  /** The root a COPY/ADD reads from (the context, a stage, an image). */
  sourceRoot(step: Extract<Step, { kind: 'copy' | 'add' }>): SourceRoot;
  /** Remembered digests of the build context's files. */
  contextDigests?: FileDigests;
  /** The build's network, extra hosts and secrets for RUN steps. */
  run?: RunSettings;
  onOutput(line: string): void;
  signal?: AbortSignal;
}

/** Outcome of a step, for progress. */
export interface StepOutcome {
  cached: boolean;
}

/**
 * Runs `step` on `state` (updated in place). `started` is called once the step knows whether it is
 * cached, before any work. Failures become BuildErrors naming the step, except DockerfileErrors
 * (which name their line) and aborts.
 */
export async function runStep(ctx: StepContext, state: StageState, step: Step, place: StepPlace, started: (cached: boolean) => void): Promise<StepOutcome> {
  try {
    let plan: CopyPlan | undefined;
    if (step.kind === 'copy' || step.kind === 'add') {
      const view = new LayeredView(lowerDirs(ctx.store, state), { name: 'the image', frozen: true });
      const digests = step.from.kind === 'context' ? ctx.contextDigests : undefined;
      plan = planCopy(step, ctx.sourceRoot(step), { file: ctx.file, isDirInImage: (p) => view.isDir(p), ...(digests ? { digests } : {}) });
    }
    const key = keyOf(state.key, step, plan?.checksum);
    const hit = ctx.noCache ? undefined : await cached(ctx.store, state, key);
    started(hit !== undefined);
    if (isConfigStep(step)) applyConfigStep(state.model, step);
    if (hit) useCached(state, hit);
    else await execute(ctx, state, step, place, plan, key);
    state.key = key;
    return { cached: hit !== undefined };
  } catch (err) {
    if (err instanceof BuildError || err instanceof DockerfileError || (err as Error).name === 'AbortError') throw err;
    throw new BuildError(place, err instanceof Error ? err.message : String(err), { cause: err });
  }
}

function isConfigStep(step: Step): step is ConfigStep {
  return step.kind !== 'run' && step.kind !== 'copy' && step.kind !== 'add';
}

/** The cache entry for `key`, when everything it needs is still in the store. */
async function cached(store: Store, state: StageState, key: Digest): Promise<CacheEntry | undefined> {
  const entry = store.cache.get(key);
  if (!entry) return undefined;
  const ids = entry.config.rootfs.diff_ids;
  const expected = state.config.rootfs.diff_ids.length + (entry.layer ? 1 : 0);
  if (ids.length !== expected || state.config.rootfs.diff_ids.some((d, i) => ids[i] !== d)) return undefined;
  if (!entry.layer) return entry;
  const diffId = ids.at(-1)!;
  if (store.layers.has(nextChainId(state, diffId))) return entry;
  if (!store.blobs.has(entry.layer.blob)) return undefined;
  try {
    await store.layers.unpack(state.chain.at(-1) ?? null, entry.layer.blob, () => store.blobs.open(entry.layer!.blob), diffId);
    return entry;
  } catch {
    return undefined; // a damaged blob: build the step again
  }
}

function useCached(state: StageState, entry: CacheEntry): void {
  const before = state.config.rootfs.diff_ids.length;
  state.config = structuredClone(entry.config);
  if (entry.layer) {
    const diffId = entry.config.rootfs.diff_ids[before]!;
    state.layers.push({ mediaType: MediaType.layer, digest: entry.layer.blob, size: entry.layer.size });
    state.chain.push(nextChainId(state, diffId));
  }
}

async function execute(ctx: StepContext, state: StageState, step: Step, place: StepPlace, plan: CopyPlan | undefined, key: Digest): Promise<void> {
  const created = new Date().toISOString();
  const history: HistoryEntry = { created, created_by: step.kind === 'run' ? `RUN ${step.argv.join(' ')}` : step.source, comment: 'hafen build' };
  if (step.kind === 'arg') {
    ctx.store.cache.put({ key, config: state.config, created }); // ARG leaves no history, as in BuildKit
    return;
  }
  const changesFiles = step.kind === 'run' || step.kind === 'copy' || step.kind === 'add' || step.kind === 'workdir';
  if (!changesFiles) {
    addStep(state, history);
    ctx.store.cache.put({ key, config: state.config, created });
    return;
  }
  const dirs = makeStepDirs(ctx.store);
  try {
    const lowers = lowerDirs(ctx.store, state);
    const readOnly = state.hostBased ? hostBindPaths() : [];
    await fill(ctx, state, step, place, plan, dirs, lowers, readOnly);
    const layer = await commitUpper(ctx.store, state.chain.at(-1) ?? null, dirs.upper, lowers);
    if (layer) {
      addStep(state, history, { descriptor: layer.descriptor, diffId: layer.record.diffId, chainId: layer.record.chainId });
      ctx.store.cache.put({ key, config: state.config, layer: { blob: layer.descriptor.digest, size: layer.descriptor.size }, created });
    } else {
      addStep(state, history);
      ctx.store.cache.put({ key, config: state.config, created });
    }
  } finally {
    dirs.remove();
  }
}

/** Makes the step's changes in its upper dir. */
async function fill(ctx: StepContext, state: StageState, step: Step, place: StepPlace, plan: CopyPlan | undefined, dirs: StepDirs, lowers: string[], readOnly: string[]): Promise<void> {
  if (step.kind === 'run') {
    if (!ctx.sandbox) throw new BuildError(place, 'RUN needs a build sandbox, and none was given');
    const result = await executeRun({ step, lowerDirs: lowers, hostPaths: readOnly, dirs, sandbox: ctx.sandbox, ...(ctx.run ? { settings: ctx.run } : {}), onOutput: ctx.onOutput, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    if (result.exitCode !== 0) {
      throw new BuildError(place, `the command ${JSON.stringify(step.argv)} exited with code ${result.exitCode}`, {
        command: step.argv,
        exitCode: result.exitCode,
        outputTail: result.outputTail,
      });
    }
    return;
  }
  const writer = new UpperWriter(dirs.upper, lowers);
  if (step.kind === 'copy' || step.kind === 'add') {
    const owner = step.chown ? resolveOwner(step.chown, new LayeredView(lowers)) : { uid: 0, gid: 0 };
    await writeCopy(plan!, writer, { owner, ...(step.chmod !== undefined ? { chmod: step.chmod } : {}), readOnly });
    return;
  }
  if (step.kind === 'workdir') {
    const onHost = readOnly.find((p) => step.path === p || step.path.startsWith(`${p}/`));
    if (onHost !== undefined) {
      // The host's directories are read-only and not part of the image: the folder must exist there.
      if (!fs.statSync(step.path, { throwIfNoEntry: false })?.isDirectory()) {
        throw new BuildError(place, `${step.path} does not exist on the host, and ${onHost} comes read-only from the host in images built FROM host`);
      }
      return;
    }
    if (writer.merged.isDir(step.path)) return;
    writer.ensureDir(writer.resolve(step.path), resolveOwner(state.model.config.user, new LayeredView(lowers)));
    writer.finish();
  }
}

/**
 * The embedded image builder: a Dockerfile and its context in, an image in the store out. Each
 * needed stage is built in order, each step either taken from the build cache or executed, and
 * the target stage's config and layers are stored as an OCI image (and tagged).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { RuntimeError } from '../../../errors.js';
import {
  createIgnoreMatcher,
  DockerfileError,
  loadDockerignore,
  parseDockerfile,
  planStages,
  resolveStages,
  type BuildWarning,
  type Stage,
} from '../build/index.js';
import { stepKey, type Store, type StoredImage } from '../store/index.js';
import { resolveImage, type ImageResolver, type ResolvedImage } from './base-images.js';
import type { StepPlace } from './build-error.js';
import { fileDigest } from './copy-plan.js';
import { FileDigests } from './file-digests.js';
import { hostFingerprint, HOST_IMAGE_NAME } from './host-image.js';
import { LayeredView } from './layered-view.js';
import { fromContainerConfig } from './oci-config.js';
import type { RunSandbox } from './run-sandbox.js';
import type { RunSettings } from './run-settings.js';
import type { SourceRoot } from './source-listing.js';
import { imageState, lowerDirs, scratchState, stageCopy, type StageState } from './stage-state.js';
import { runStep, type StepContext } from './step-exec.js';

/** Progress of a build, as the CLI prints it (`#3 [build 2/5] RUN npm ci  CACHED`). A superset of the runtime's BuildEvent. */
export type BuilderEvent =
  | {
      kind: 'step-start';
      /** 1-based over all steps built (FROM lines count); `total` is their number. */
      index: number;
      total: number;
      /** The instruction as written. */
      text: string;
      cached: boolean;
      /** The stage's name, and the step's place in it (`[build 2/5]`). */
      stage: string;
      stageStep: number;
      stageSteps: number;
    }
  | { kind: 'step-done'; index: number; ms: number }
  /** A line of a RUN's output; `index` is the step's. */
  | { kind: 'output'; index: number; line: string };

/** What to build. */
export interface BuildOptions {
  contextDir: string;
  /** The Dockerfile, relative to contextDir unless absolute; default `Dockerfile`. */
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  /** The stage to build; default the last. */
  target?: string;
  /** Name to tag the image with. */
  tag?: string;
  /** Execute every step, whatever the cache holds (the results still go into it). */
  noCache?: boolean;
  /** Labels added to the final image. */
  labels?: Record<string, string>;
  /** Runs RUN steps; a Dockerfile with RUN fails without one. */
  sandbox?: RunSandbox;
  onEvent?: (e: BuilderEvent) => void;
  /** Finds images the store lacks (pull, import); the store alone otherwise. */
  resolveImage?: ImageResolver;
  signal?: AbortSignal;
  // Compose's build keys (issue 12).
  /** The Dockerfile's text (`dockerfile_inline`): `dockerfile` is then only its name in messages. */
  dockerfileText?: string;
  /** Named contexts for FROM and COPY --from, by name: an absolute folder (COPY --from only) or `docker-image://REF`. */
  namedContexts?: Record<string, string>;
  /** How RUN steps run: network, extra hosts, secrets (run-settings.ts). */
  run?: RunSettings;
  /** More names for the image. */
  extraTags?: string[];
}

/** The built image, with what the build did. */
export interface BuildResult {
  image: StoredImage;
  warnings: BuildWarning[];
  /** Steps taken from the cache, and steps executed (FROM lines not counted). */
  cachedSteps: number;
  executedSteps: number;
}

/** Builds an image; throws DockerfileError for a bad Dockerfile, BuildError for a failed step, RuntimeError for a missing image. */
export async function build(store: Store, opts: BuildOptions): Promise<BuildResult> {
  const contextDir = path.resolve(opts.contextDir);
  const dockerfileName = opts.dockerfile ?? 'Dockerfile';
  const dockerfilePath = path.resolve(contextDir, dockerfileName);
  const emit = opts.onEvent ?? (() => {});
  if (!fs.statSync(contextDir, { throwIfNoEntry: false })?.isDirectory()) throw new RuntimeError('build context', `${contextDir} is not a directory`);
  let text: string;
  try {
    text = opts.dockerfileText ?? fs.readFileSync(dockerfilePath, 'utf8');
  } catch (err) {
    throw new DockerfileError(dockerfileName, undefined, `cannot read the Dockerfile: ${(err as Error).message}`, { cause: err });
  }
  const df = parseDockerfile(text, { file: dockerfileName });
  const stageOpts = { ...(opts.buildArgs ? { buildArgs: opts.buildArgs } : {}), ...(opts.target !== undefined ? { target: opts.target } : {}) };

  // The images the needed stages start from or copy from, before anything runs.
  const graph = planStages(df, stageOpts);
  const images = new Map<string, ResolvedImage>();
  const named = namedContexts(opts.namedContexts);
  for (const index of graph.order) {
    const node = graph.stages[index]!;
    const base = node.base.kind === 'image' ? node.base.ref : undefined;
    if (base !== undefined && named.folders.has(base)) {
      throw new DockerfileError(dockerfileName, node.line, `FROM ${base}: the named context "${base}" is a folder, which hafen builds take only in COPY --from; name an image (docker-image://REF) for FROM`);
    }
    const refs = [...(base !== undefined ? [base] : []), ...node.copyFromImages.filter((ref) => !named.folders.has(ref))];
    for (const ref of refs) {
      if (images.has(ref)) continue;
      try {
        images.set(ref, await resolveImage(store, named.images.get(ref) ?? ref, opts.resolveImage));
      } catch (err) {
        throw new DockerfileError(dockerfileName, node.line, (err as Error).message, { cause: err });
      }
    }
  }
  const resolved = resolveStages(df, {
    ...stageOpts,
    imageConfig: (ref) => {
      const found = images.get(ref);
      return found ? fromContainerConfig(found.image.config.config) : undefined;
    },
  });

  const ignore = createIgnoreMatcher(await loadDockerignore(contextDir, { dockerfile: dockerfilePath }));
  const context: SourceRoot = { view: new LayeredView([contextDir], { escape: 'refuse', name: 'the build context', frozen: true }), name: 'the build context', ignore };
  const contextDigests = FileDigests.forContext(store, contextDir, fileDigest);
  const states = new Map<number, StageState>();
  let index = 0; // the step being built, 1-based over the whole build
  const sourceRoot: StepContext['sourceRoot'] = (step) => {
    const from = step.from;
    if (from.kind === 'context') return context;
    if (from.kind === 'stage') {
      const name = `stage ${resolved.stages[from.index]!.displayName}`;
      return { view: new LayeredView(lowerDirs(store, states.get(from.index)!), { name, frozen: true }), name };
    }
    const folder = named.folders.get(from.ref);
    if (folder !== undefined) {
      const name = `the context "${from.ref}"`;
      return { view: new LayeredView([folder], { escape: 'refuse', name, frozen: true }), name };
    }
    const image = images.get(from.ref)!.image;
    return { view: new LayeredView([...image.layerDirs].reverse(), { name: `image ${from.ref}`, frozen: true }), name: `image ${from.ref}` };
  };
  const ctx: StepContext = {
    store,
    file: dockerfileName,
    noCache: opts.noCache ?? false,
    ...(opts.sandbox ? { sandbox: opts.sandbox } : {}),
    sourceRoot,
    contextDigests,
    ...(opts.run ? { run: opts.run } : {}),
    onOutput: (line) => emit({ kind: 'output', index, line }),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };

  const total = resolved.order.reduce((n, i) => n + 1 + resolved.stages[i]!.steps.length, 0);
  let cachedSteps = 0;
  let executedSteps = 0;
  try {
    for (const stageIndex of resolved.order) {
      const stage = resolved.stages[stageIndex]!;
      const stageSteps = stage.steps.length + 1;
      const placeOf = (line: number, source: string, stageStep: number): StepPlace & { stageStep: number } => ({
        index: ++index, total, stage: stage.displayName, file: dockerfileName, line, source, stageStep,
      });

      const from = placeOf(stage.line, df.stages[stageIndex]!.from.source, 1);
      const t0 = performance.now();
      const { state, made } = startStage(store, stage, states, images);
      emit({ kind: 'step-start', index: from.index, total, text: from.source, cached: !made && stage.base.kind !== 'scratch', stage: stage.displayName, stageStep: 1, stageSteps });
      emit({ kind: 'step-done', index: from.index, ms: performance.now() - t0 });

      for (const [i, step] of stage.steps.entries()) {
        opts.signal?.throwIfAborted();
        const place = placeOf(step.line, step.source, i + 2);
        const start = performance.now();
        const outcome = await runStep(ctx, state, step, place, (cached) =>
          emit({ kind: 'step-start', index: place.index, total, text: step.source, cached, stage: stage.displayName, stageStep: place.stageStep, stageSteps }),
        );
        if (outcome.cached) cachedSteps++;
        else executedSteps++;
        emit({ kind: 'step-done', index: place.index, ms: performance.now() - start });
      }
      states.set(stageIndex, state);
    }
  } finally {
    contextDigests.save(); // what was learnt holds whether or not the build got through
  }

  const final = states.get(resolved.target)!;
  const config = structuredClone(final.config);
  if (opts.labels && Object.keys(opts.labels).length > 0) config.config.Labels = { ...config.config.Labels, ...opts.labels };
  const image = store.images.put(config, final.layers, opts.tag);
  for (const tag of opts.extraTags ?? []) store.images.tag(tag, image.manifestDigest);
  return { image, warnings: resolved.warnings, cachedSteps, executedSteps };
}

/** Named contexts split into folders (for COPY --from) and images (`docker-image://REF`, by the name used). */
function namedContexts(contexts: Record<string, string> = {}): { folders: Map<string, string>; images: Map<string, string> } {
  const folders = new Map<string, string>();
  const images = new Map<string, string>();
  for (const [name, value] of Object.entries(contexts)) {
    if (value.startsWith('docker-image://')) {
      images.set(name, value.slice('docker-image://'.length));
      continue;
    }
    if (!fs.statSync(value, { throwIfNoEntry: false })?.isDirectory()) throw new RuntimeError(`build context ${name}`, `${value} is not a directory`);
    folders.set(name, path.resolve(value));
  }
  return { folders, images };
}

/** A stage's state after its FROM, and whether its base had to be made. */
function startStage(store: Store, stage: Stage, states: ReadonlyMap<number, StageState>, images: ReadonlyMap<string, ResolvedImage>): { state: StageState; made: boolean } {
  const base = stage.base;
  if (base.kind === 'scratch') return { state: scratchState(), made: false };
  if (base.kind === 'stage') return { state: stageCopy(states.get(base.index)!), made: false };
  const { image, created } = images.get(base.ref)!;
  // The host image's key also covers the host's installed software, so installing or upgrading it rebuilds.
  const key = base.ref === HOST_IMAGE_NAME ? stepKey(image.manifestDigest, 'host', hostFingerprint()) : image.manifestDigest;
  return { state: imageState(image, key), made: created };
}

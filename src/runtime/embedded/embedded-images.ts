/**
 * The image half of the embedded runtime: builds, lists, removes and prunes images in the
 * content-addressed store. The container half (coming) stands on the same store.
 */
import { snapshotPins } from './snapshots/snapshot-layers.js';
import type { BuildEvent, BuildSpec, ImageInfo } from '../runtime.js';
import { RuntimeError } from '../../errors.js';
import type { BuilderEvent, BuildResult, ImageResolver } from './builder/index.js';
import { normalizeImageName, openStore, prune, type PruneOptions, type PruneResult, type Store } from './store/index.js';

export class EmbeddedImages {
  readonly store: Store;

  constructor(root?: string) {
    this.store = openStore(root);
  }

  /**
   * Builds a Dockerfile into the store, RUN steps in hafen-run's sandbox. `resolveImage` finds base
   * images the store lacks (with `spec.pull`, every one: the caller pulls). `spec.cacheFrom` needs
   * nothing: the store's step cache already serves every image built on this machine.
   */
  async build(spec: BuildSpec, onEvent?: (e: BuilderEvent | BuildEvent) => void, signal?: AbortSignal, resolveImage?: ImageResolver): Promise<BuildResult> {
    // Loaded here: the builder is big, and the supervisor (which has this class too) never builds.
    const { build, LauncherSandbox } = await import('./builder/index.js');
    return build(this.store, {
      contextDir: spec.contextDir,
      dockerfile: spec.dockerfile,
      buildArgs: spec.args,
      ...(spec.target ? { target: spec.target } : {}),
      tag: spec.tag,
      noCache: spec.noCache,
      labels: spec.labels,
      sandbox: new LauncherSandbox(),
      ...(onEvent ? { onEvent } : {}),
      ...(signal ? { signal } : {}),
      ...(resolveImage ? { resolveImage } : {}),
      ...(spec.dockerfileInline !== undefined ? { dockerfileText: spec.dockerfileInline } : {}),
      ...(spec.namedContexts ? { namedContexts: spec.namedContexts } : {}),
      ...(spec.extraTags ? { extraTags: spec.extraTags } : {}),
      run: {
        ...(spec.network === 'none' || spec.network === 'host' ? { network: spec.network } : {}),
        ...(spec.extraHosts ? { extraHosts: spec.extraHosts } : {}),
        ...(spec.secrets ? { secrets: spec.secrets } : {}),
        ...(spec.ssh ? { ssh: spec.ssh } : {}),
      },
    });
  }

  has(ref: string): boolean {
    return this.store.images.resolve(ref) !== undefined;
  }

  /** Every tagged image with its size (the uncompressed sum of its layers). */
  list(): ImageInfo[] {
    return this.store.images.list().map((ref) => {
      const image = this.store.images.get(ref.manifest);
      const size = image ? image.chainIds.reduce((sum, id) => sum + (this.store.layers.get(id)?.size ?? 0), 0) : 0;
      return { name: ref.name, id: image?.manifest.config.digest ?? ref.manifest, size, createdAt: image?.config.created ?? ref.updated };
    });
  }

  /** Removes a tag; its layers go at the next prune when nothing else uses them. */
  remove(ref: string): void {
    if (!this.store.images.untag(ref)) throw new RuntimeError(`image ${normalizeImageName(ref)}`, 'no such image');
  }

  prune(opts: PruneOptions = {}): PruneResult {
    // Layers of snapshots, and of containers and volumes reset onto one, stay (issue 20).
    return prune(this.store, { ...opts, pinned: [...(opts.pinned ?? []), ...snapshotPins(this.store.paths.root)] });
  }
}

/** The image commands on the embedded runtime: its content-addressed store under HAFEN_ROOT. */
import { RuntimeError, StackError } from '../../errors.js';
import type { ImageInfo } from '../runtime.js';
import type { ImageArchive, ImageDetails, ImageService, LoadedImage, PruneSummary, PushedImage, PushRequest, SaveFormat } from '../image-service.js';
import { EmbeddedImages } from './embedded-images.js';
import { importDockerArchive, importOciLayout, saveDockerArchive, saveOciLayout } from './image-io/index.js';

/** Node's file errors (a missing folder, no permission) as a RuntimeError naming the image and the file. */
async function writing(image: string, file: string, save: () => Promise<unknown>): Promise<void> {
  try {
    await save();
  } catch (err) {
    if (err instanceof StackError || !(err as NodeJS.ErrnoException).code) throw err;
    throw new RuntimeError(`image ${image}`, `cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export class EmbeddedImageService implements ImageService {
  readonly runtime = 'embedded' as const;
  private readonly images: EmbeddedImages;

  constructor(root?: string) {
    this.images = new EmbeddedImages(root);
  }

  async list(): Promise<ImageInfo[]> {
    return this.images.list();
  }

  async inspect(ref: string): Promise<ImageDetails | undefined> {
    const { store } = this.images;
    const digest = store.images.resolve(ref);
    const image = digest ? store.images.get(digest) : undefined;
    if (!image) return undefined;
    const size = image.chainIds.reduce((sum, id) => sum + (store.layers.get(id)?.size ?? 0), 0);
    const { os, architecture, variant, created } = image.config;
    return {
      name: ref,
      id: image.manifest.config.digest,
      size,
      ...(created ? { createdAt: created } : {}),
      ...(os && architecture ? { platform: [os, architecture, variant].filter(Boolean).join('/') } : {}),
    };
  }

  async remove(ref: string): Promise<string[]> {
    this.images.remove(ref);
    return [`Untagged: ${ref}`];
  }

  async prune(opts: { buildCache: boolean }): Promise<PruneSummary> {
    const r = this.images.prune({ buildCache: opts.buildCache });
    return { removed: [`${r.layers} layer(s)`, `${r.blobs} blob(s)`, ...(opts.buildCache ? [`${r.cacheEntries} cache entries`] : [])], bytes: r.bytes };
  }

  async save(ref: string, file: string, format: SaveFormat): Promise<void> {
    const { store } = this.images;
    await writing(ref, file, async () => {
      if (format === 'oci') saveOciLayout(store, ref, file);
      else await saveDockerArchive(store, ref, file);
    });
  }

  /**
   * Writes snapshot `name` of `project` to `file` as a docker-archive (`stack image save --snapshot`,
   * issue 20; snapshots/snapshot-archive.ts): read from the store and the records, so no supervisor is asked.
   */
  async saveSnapshot(project: string, name: string, file: string): Promise<string[]> {
    const { saveEmbeddedSnapshot } = await import('./snapshots/snapshot-archive.js');
    const { store } = this.images;
    let refs: string[] = [];
    await writing(`snapshot ${name}`, file, async () => (refs = await saveEmbeddedSnapshot(store.paths.root, store, project, name, file)));
    return refs;
  }

  async load(archive: ImageArchive, opts: { tag?: string; signal?: AbortSignal; say?: (line: string) => void }): Promise<LoadedImage[]> {
    const { store } = this.images;
    const options = { ...(archive.ref !== undefined ? { ref: archive.ref } : {}), ...(opts.tag !== undefined ? { tag: opts.tag } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
    const before = new Map(store.images.list().map((r) => [r.name, r.updated]));
    const loaded = await (archive.kind === 'oci' ? importOciLayout(store, archive.path, options) : importDockerArchive(store, archive.path, options));
    // The names this load set: every tag it wrote is new or has a new time.
    const tags = store.images.list().filter((r) => before.get(r.name) !== r.updated);
    // Issue 20: an archive of `stack image save --snapshot` brings its snapshot records back too.
    const { restoreSnapshots } = await import('./snapshots/snapshot-from-images.js');
    for (const line of await restoreSnapshots(store.paths.root, store, loaded)) opts.say?.(line);
    return loaded.map((image) => ({ names: tags.filter((r) => r.manifest === image.manifestDigest).map((r) => r.name), id: image.manifest.config.digest }));
  }

  // Issue 18, push: over the OCI distribution API (registry/push.ts).
  async push(local: string, target: string, opts: PushRequest): Promise<PushedImage> {
    const { pushToRegistry } = await import('./registry/push.js');
    const { reference, digest } = await pushToRegistry(this.images.store, local, target, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      onEvent: (e) => {
        if (e.kind !== 'layer') return;
        const o = e.outcome;
        opts.onLayer?.({ id: e.digest, outcome: o.kind, ...(o.kind === 'mounted' ? { from: o.from } : {}), ...(o.kind === 'pushed' ? { size: e.size, ...(o.chunks > 1 ? { chunks: o.chunks } : {}) } : {}) });
      },
    });
    return { reference, digest };
  }
}

/** The image commands on a Docker engine, through its image API: list, inspect, remove, prune, save (`docker save`), load (`docker load`). */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { RuntimeError, UsageError } from '../../errors.js';
import type { ImageArchive, ImageDetails, ImageService, LoadedImage, PruneSummary, PushedImage, PushRequest, SaveFormat } from '../image-service.js';
import { Label, type ImageInfo } from '../runtime.js';
import { ImageLimitError, imageLimits } from '../embedded/image-limits.js';
import { limitBytes } from '../embedded/layers/byte-limit.js';
import { openArchiveFile } from '../embedded/image-io/source-file.js';
import { DockerImages } from './docker-images.js';
import { engineMessage, isNotFound } from './docker-errors.js';
import { ociLayoutAsDockerArchive } from './oci-archive.js';

/** `name:tag` as the engine's tag call takes it (a registry port is not a tag). */
function splitName(name: string): { repo: string; tag: string } {
  const at = name.lastIndexOf(':');
  return at > name.lastIndexOf('/') ? { repo: name.slice(0, at), tag: name.slice(at + 1) } : { repo: name, tag: 'latest' };
}

export class DockerImageService implements ImageService {
  readonly runtime = 'docker' as const;

  constructor(private readonly docker: Docker) {}

  list(): Promise<ImageInfo[]> {
    return new DockerImages(this.docker).list();
  }

  async inspect(ref: string): Promise<ImageDetails | undefined> {
    try {
      const i = await this.docker.getImage(ref).inspect();
      return { name: ref, id: i.Id, size: i.Size, createdAt: i.Created, ...(i.Os && i.Architecture ? { platform: [i.Os, i.Architecture, i.Variant].filter(Boolean).join('/') } : {}) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new RuntimeError(`image ${ref}`, `cannot inspect: ${engineMessage(err)}`, { cause: err });
    }
  }

  async remove(ref: string): Promise<string[]> {
    try {
      const done = (await this.docker.getImage(ref).remove()) as { Untagged?: string; Deleted?: string }[];
      return done.flatMap((d) => [...(d.Untagged ? [`Untagged: ${d.Untagged}`] : []), ...(d.Deleted ? [`Deleted: ${d.Deleted}`] : [])]);
    } catch (err) {
      throw new RuntimeError(`image ${ref}`, isNotFound(err) ? 'no such image' : `cannot remove: ${engineMessage(err)}`, { cause: err });
    }
  }

  /**
   * Images hafen built that no name points at any more (a rebuild took their tag), as the embedded
   * prune takes layers no image uses; the engine's other images are not hafen's to remove. With
   * `buildCache`, the engine's build cache too (`docker builder prune`).
   */
  async prune(opts: { buildCache: boolean }): Promise<PruneSummary> {
    const images = await this.docker.pruneImages({ filters: { dangling: ['true'], label: [Label.project] } });
    const removed = [`${(images.ImagesDeleted ?? []).filter((d) => d.Deleted).length} image(s)`];
    let bytes = images.SpaceReclaimed ?? 0;
    if (opts.buildCache) {
      const cache = await this.docker.pruneBuilder();
      removed.push(`${((cache as { CachesDeleted?: string[] }).CachesDeleted ?? []).length} cache entries`);
      bytes += cache.SpaceReclaimed ?? 0;
    }
    return { removed, bytes };
  }

  async save(ref: string, file: string, format: SaveFormat): Promise<void> {
    if (format === 'oci') throw new UsageError(`stack image save --format oci ${ref}: the Docker engine writes docker-archive tars only; save without --format, or with the embedded runtime`);
    if (!(await this.inspect(ref))) throw new RuntimeError(`image ${ref}`, 'no such image');
    // Written beside the file and renamed, so a failed save leaves no half archive under its name.
    const partial = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.partial`);
    try {
      await pipeline(await this.docker.getImage(ref).get(), fs.createWriteStream(partial, { flags: 'wx' }));
      fs.renameSync(partial, file);
    } catch (err) {
      fs.rmSync(partial, { force: true });
      if ((err as NodeJS.ErrnoException).code) throw new RuntimeError(`image ${ref}`, `cannot write ${file}: ${(err as Error).message}`, { cause: err });
      throw new RuntimeError(`image ${ref}`, `cannot save: ${engineMessage(err)}`, { cause: err });
    }
  }

  async load(archive: ImageArchive, opts: { tag?: string; signal?: AbortSignal }): Promise<LoadedImage[]> {
    const what = `image archive ${archive.path}`;
    // What is sent to the engine is held to the import limit and stops at an interrupt (the engine then drops the load).
    const { maxBytes } = imageLimits();
    const raw = archive.kind === 'oci' ? await ociLayoutAsDockerArchive(archive.path) : fs.createReadStream('', { fd: openArchiveFile(archive.path, what) });
    const source = Readable.from(limitBytes(raw as AsyncIterable<Buffer>, maxBytes, () => new ImageLimitError(what, 'maxBytes', maxBytes, 'the archive'), opts.signal));
    const names: string[] = [];
    const ids: string[] = [];
    try {
      const stream = await this.docker.loadImage(source as unknown as string, { quiet: true });
      await new Promise<void>((resolve, reject) => {
        let failed: string | undefined;
        this.docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? reject(err) : failed ? reject(new Error(failed)) : resolve()),
          (m: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
            if (m.error) failed = m.errorDetail?.message ?? m.error;
            const named = /Loaded image: (\S+)/.exec(m.stream ?? '');
            const id = /Loaded image ID: (\S+)/.exec(m.stream ?? '');
            if (named) names.push(named[1]!);
            if (id) ids.push(id[1]!);
          },
        );
      });
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (err instanceof RuntimeError || err instanceof ImageLimitError) throw err;
      throw new RuntimeError(what, `cannot load: ${engineMessage(err)}`, { cause: err });
    }
    const picked = archive.ref !== undefined ? names.filter((n) => n === archive.ref || n === `${archive.ref}:latest`) : names;
    if (archive.ref !== undefined && picked.length === 0) throw new RuntimeError(what, `holds no image named ${archive.ref} (it holds ${names.join(', ') || 'unnamed images'})`);
    const loaded: LoadedImage[] = [];
    for (const name of picked) loaded.push({ names: [name], id: (await this.inspect(name))?.id ?? '' });
    for (const id of ids) loaded.push({ names: [], id });
    if (opts.tag !== undefined) {
      if (loaded.length !== 1) throw new UsageError(`stack image load --tag ${opts.tag}: ${archive.path} holds ${loaded.length} images; name one (docker-archive:PATH:NAME)`);
      const { repo, tag } = splitName(opts.tag);
      await this.docker.getImage(loaded[0]!.names[0] ?? loaded[0]!.id).tag({ repo, tag });
      loaded[0]!.names.push(`${repo}:${tag}`);
    }
    return loaded;
  }

  // Issue 18, push: the engine's own push (docker-push.ts).
  async push(local: string, target: string, opts: PushRequest): Promise<PushedImage> {
    const { dockerPush } = await import('./docker-push.js');
    return dockerPush(this.docker, local, target, opts);
  }
}

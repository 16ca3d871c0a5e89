/**
 * Images on a Docker engine: build through the engine's build API from the same context and
 * Dockerfile, pull, and load `docker-archive:` / `oci:` references (kept under a tag derived from
 * the archive, so hasImage and createContainer find them again).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { RuntimeError, StackError } from '../../errors.js';
import type { BuildEvent, BuildSpec, ImageInfo } from '../runtime.js';
import { buildContext } from './build-context.js';
import { composeBuildOptions } from './build-options.js';
import { engineMessage, isNotFound, naming } from './docker-errors.js';
import { ociLayoutAsDockerArchive } from './oci-archive.js';
import { Readable } from 'node:stream';
import { ImageLimitError, imageLimits } from '../embedded/image-limits.js';
import { limitBytes } from '../embedded/layers/byte-limit.js';
import { openArchiveFile } from '../embedded/image-io/source-file.js';

/** Docker's `scratch` is not runnable; hafen's is an empty image made on demand. */
const SCRATCH = 'hafen-scratch:latest';

/** One progress message of a pull, build or load stream. */
interface ProgressMessage {
  status?: string;
  id?: string;
  progress?: string;
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** The images of one engine. */
export class DockerImages {
  constructor(private readonly docker: Docker) {}

  /** The engine's name for `ref`: archives by their tag, `scratch` as hafen's empty image. */
  engineRef(ref: string): string {
    const archive = archiveOf(ref);
    if (archive) return archiveTag(archive.path);
    if (ref === 'scratch') return SCRATCH;
    return ref;
  }

  async has(ref: string): Promise<boolean> {
    if (ref === 'host') return false;
    try {
      await this.docker.getImage(this.engineRef(ref)).inspect();
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Makes sure `ref` is there for a container: hafen's scratch is made when first needed. */
  async ensureBuiltin(ref: string): Promise<void> {
    if (ref !== 'scratch' || (await this.has(ref))) return;
    const empty = tar.pack();
    empty.finalize();
    await this.follow(await this.docker.importImage(empty as unknown as string, { repo: 'hafen-scratch', tag: 'latest' }));
  }

  async pull(ref: string, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<void> {
    const archive = archiveOf(ref);
    const work = archive
      ? this.load(ref, archive.format, archive.path, onProgress, signal)
      : naming(`image ${ref}`, 'cannot pull', async () => this.follow(stopping(await this.docker.pull(ref), signal), onProgress));
    // Stopped by the caller: its own reason, so the executor counts the operation cancelled, not failed.
    await work.catch((err: unknown) => {
      throw signal?.aborted ? signal.reason : err;
    });
  }

  async build(spec: BuildSpec, onEvent?: (e: BuildEvent) => void, signal?: AbortSignal): Promise<ImageInfo> {
    // A remote context (git URL) is fetched by the engine: no tar is sent.
    const { tar, dockerfile } = spec.remoteContext !== undefined ? { tar: undefined, dockerfile: spec.dockerfile } : await buildContext(spec.contextDir, spec.dockerfile, spec.dockerfileInline);
    let step = 0;
    let stepStart = 0;
    const onMessage = (m: ProgressMessage) => {
      for (const line of (m.stream ?? '').split('\n')) {
        const s = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
        if (s) {
          if (step) onEvent?.({ kind: 'step-done', index: step, ms: Date.now() - stepStart });
          step = Number(s[1]);
          stepStart = Date.now();
          onEvent?.({ kind: 'step-start', index: step, total: Number(s[2]), text: s[3]!, cached: false });
        } else if (line.trim()) {
          onEvent?.({ kind: 'output', line });
        }
      }
    };
    try {
      const stream = await this.docker.buildImage(tar as unknown as NodeJS.ReadableStream, {
        buildargs: spec.args,
        labels: spec.labels,
        nocache: spec.noCache,
        rm: true,
        forcerm: true,
        ...(spec.target ? { target: spec.target } : {}),
        ...composeBuildOptions(spec, dockerfile),
        // Closing the request is what cancels a build in the engine.
        ...(signal ? { abortSignal: signal } : {}),
      } as Docker.ImageBuildOptions);
      await this.follow(stopping(stream, signal), undefined, onMessage);
      if (step) onEvent?.({ kind: 'step-done', index: step, ms: Date.now() - stepStart });
    } catch (err) {
      if (err instanceof StackError) throw err;
      if (signal?.aborted) throw signal.reason; // stopped by the caller: cancelled, not failed
      throw new StackError('E_BUILD', `image ${spec.tag}: build failed: ${engineMessage(err)}`, 1, { cause: err });
    }
    const info = await this.docker.getImage(spec.tag).inspect();
    return { name: spec.tag, id: info.Id, size: info.Size, createdAt: info.Created };
  }

  async list(): Promise<ImageInfo[]> {
    const images = await this.docker.listImages();
    return images.flatMap((i) =>
      (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>').map((name) => ({ name, id: i.Id, size: i.Size, createdAt: new Date(i.Created * 1000).toISOString() })),
    );
  }

  async remove(ref: string): Promise<void> {
    try {
      await this.docker.getImage(this.engineRef(ref)).remove();
    } catch (err) {
      if (isNotFound(err)) return;
      throw new RuntimeError(`image ${ref}`, `cannot remove: ${engineMessage(err)}`, { cause: err });
    }
  }

  /** `docker load` of an archive (an OCI layout is first rewritten as one), tagged for `ref`. */
  private async load(ref: string, format: 'docker-archive' | 'oci', file: string, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<void> {
    await naming(`image ${ref}`, 'cannot load', async () => {
      // What is sent to the engine is held to the import limit and stops at an interrupt (the engine then drops the load).
      const { maxBytes } = imageLimits();
      const archive = format === 'oci' ? await ociLayoutAsDockerArchive(file) : fs.createReadStream('', { fd: openArchiveFile(file, `image ${ref}`) });
      const source = Readable.from(limitBytes(archive as AsyncIterable<Buffer>, maxBytes, () => new ImageLimitError(`image ${ref}`, 'maxBytes', maxBytes, 'the archive'), signal));
      let loaded: string | undefined;
      const stream = await this.docker.loadImage(source as unknown as string, { quiet: true });
      await this.follow(stream, onProgress, (m) => {
        const found = /Loaded image(?: ID)?: (\S+)/.exec(m.stream ?? '');
        if (found) loaded = found[1];
      });
      if (!loaded) throw new RuntimeError(`image ${ref}`, `${file} held no image`);
      const [repo, tag] = splitTag(archiveTag(file));
      await this.docker.getImage(loaded).tag({ repo, tag });
    });
  }

  /** Reads a progress stream to its end; an error message in it fails. */
  private follow(stream: NodeJS.ReadableStream, onProgress?: (line: string) => void, onMessage?: (m: ProgressMessage) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      let failed: string | undefined;
      this.docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : failed ? reject(new Error(failed)) : resolve()),
        (m: ProgressMessage) => {
          if (m.error) failed = m.errorDetail?.message ?? m.error;
          onMessage?.(m);
          const line = [m.id, m.status, m.progress].filter(Boolean).join(' ');
          if (line) onProgress?.(line);
        },
      );
    });
  }
}

/** `docker-archive:PATH` / `oci:PATH`, split; undefined for other references. */
export function archiveOf(ref: string): { format: 'docker-archive' | 'oci'; path: string } | undefined {
  for (const format of ['docker-archive', 'oci'] as const) {
    if (ref.startsWith(`${format}:`)) return { format, path: ref.slice(format.length + 1) };
  }
  return undefined;
}

/** The tag an archive's image is kept under: changes when the file does, so a new archive is loaded again. */
export function archiveTag(file: string): string {
  const abs = path.resolve(file);
  let version = '';
  try {
    const st = fs.statSync(abs);
    version = `${st.size}:${st.mtimeMs}`;
  } catch {
    // Not there (yet): the tag of the path alone, which no image has.
  }
  const hash = createHash('sha256').update(`${abs}\0${version}`).digest('hex').slice(0, 16);
  return `hafen-archive/${path.basename(abs).toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[._-]+/, '') || 'image'}:${hash}`;
}

/** A progress stream that ends (with the abort error) when `signal` fires. */
function stopping(stream: NodeJS.ReadableStream, signal: AbortSignal | undefined): NodeJS.ReadableStream {
  if (!signal) return stream;
  const destroy = (): void => void (stream as Readable).destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  if (signal.aborted) destroy();
  else signal.addEventListener('abort', destroy, { once: true });
  stream.once?.('close', () => signal.removeEventListener('abort', destroy));
  return stream;
}

function splitTag(name: string): [string, string] {
  const colon = name.lastIndexOf(':');
  return [name.slice(0, colon), name.slice(colon + 1)];
}

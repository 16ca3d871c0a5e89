/**
 * The image commands' entry: the ImageService of the runtime in use, and `stack images` as Compose
 * has it (the images the project's containers were made from), the same on every runtime.
 */
import type { RuntimeName } from '../config/model.js';
import type { ImageArchive, ImageDetails, ImageService } from '../runtime/image-service.js';
import { Label, type Runtime } from '../runtime/runtime.js';
import { chooseRuntime } from './project-runtime.js';

/** The image service of `runtime` (`--runtime`, HAFEN_RUNTIME; else embedded where it can run, else Docker). */
export async function openImageService(runtime: RuntimeName | undefined, opts: { root?: string; say?: (line: string) => void } = {}): Promise<ImageService> {
  const choice = chooseRuntime(runtime);
  if (choice.why) opts.say?.(choice.why);
  if (choice.runtime === 'docker' || choice.runtime === 'swarm') { // swarm: the manager's engine
    const [{ DockerImageService }, { connectEngine }] = await Promise.all([import('../runtime/docker/docker-image-service.js'), import('../runtime/docker/engine.js')]);
    return new DockerImageService(connectEngine());
  }
  // issue 19: the image store of a remote host is not reached by these commands yet; never this machine's in its place.
  if (process.env.HAFEN_HOST) {
    const { StackError } = await import('../errors.js');
    throw new StackError('E_REMOTE', `remote host ${process.env.HAFEN_HOST}: the image commands (images, rmi, prune, image, push) do not reach it yet; run them there (ssh to it and run hafen)`, 2);
  }
  // A user without root: the command runs again inside the user's namespaces, where unpacked layers keep their owners (issue 17).
  const { needsUserNamespace, rerunInUserNamespace } = await import('../runtime/embedded/rootless/enter-namespace.js');
  if (needsUserNamespace()) await rerunInUserNamespace(opts.say ?? ((line) => process.stderr.write(`${line}\n`)));
  const { EmbeddedImageService } = await import('../runtime/embedded/embedded-image-service.js');
  return new EmbeddedImageService(opts.root);
}

/** One container of the project and the image it was made from: a row of `stack images`. */
export interface ProjectImage {
  container: string;
  service: string;
  /** The image's name without its tag, as the container names it (`busybox`, `host`). */
  repository: string;
  /** Its tag, or '' when the name has none (a digest, `host`). */
  tag: string;
  /** Image ID (`sha256:…`), '' when the runtime no longer has the image. */
  id: string;
  size: number;
  platform?: string;
  createdAt?: string;
}

/** `name:tag` → name and tag; a digest or a name of hafen's own (`host`, `scratch`) has no tag. */
export function splitImageName(ref: string): { repository: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repository: ref.slice(0, at), tag: '' };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref, tag: ref === 'host' || ref === 'scratch' || ref.includes(':') ? '' : 'latest' };
}

/** The images of the project's containers (one-off containers left out), sorted by container; only `services` when given. */
export async function projectImages(runtime: Runtime, images: ImageService, project: string, services: readonly string[] = []): Promise<ProjectImage[]> {
  const containers = (await runtime.listContainers({ [Label.project]: project }))
    .filter((c) => !c.labels[Label.oneOff])
    .filter((c) => services.length === 0 || services.includes(c.labels[Label.service] ?? ''))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const seen = new Map<string, Promise<ImageDetails | undefined>>();
  const inspect = (ref: string) => {
    if (!seen.has(ref)) seen.set(ref, images.inspect(ref).catch(() => undefined));
    return seen.get(ref)!;
  };
  return Promise.all(
    containers.map(async (c) => {
      const details = (await inspect(c.image)) ?? (c.imageId ? await inspect(c.imageId) : undefined);
      return {
        container: c.name,
        service: c.labels[Label.service] ?? '',
        ...splitImageName(c.image),
        id: c.imageId ?? details?.id ?? '',
        size: details?.size ?? 0,
        ...(details?.platform ? { platform: details.platform } : {}),
        ...(details?.createdAt ? { createdAt: details.createdAt } : {}),
      };
    }),
  );
}

/**
 * What `stack image load FILE` reads: `docker-archive:PATH[:NAME]` and `oci:PATH[:REF]` as written;
 * a plain path is a layout when it is a folder, else a tar. A missing path, a device or a FIFO is a
 * usage error, before anything is read.
 */
export async function resolveArchive(file: string): Promise<ImageArchive> {
  const [fs, { UsageError }, { parseImageSource }, { sourceFileProblem }] = await Promise.all([
    import('node:fs'),
    import('../errors.js'),
    import('../runtime/embedded/image-io/image-sources.js'),
    import('../runtime/embedded/image-io/source-file.js'),
  ]);
  const parsed = parseImageSource(file);
  const archive: ImageArchive =
    parsed.kind === 'docker-archive' || parsed.kind === 'oci'
      ? parsed
      : { kind: fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() ? 'oci' : 'docker-archive', path: file };
  if (!fs.existsSync(archive.path)) throw new UsageError(`stack image load ${file}: ${archive.path} does not exist`);
  const problem = sourceFileProblem(archive.kind, archive.path);
  if (problem) throw new UsageError(`stack image load ${file}: ${problem}`);
  return archive;
}

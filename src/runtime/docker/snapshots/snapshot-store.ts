/**
 * Where the Docker runtime keeps snapshots (issue 20): one image per container per snapshot
 * (`docker commit`, tagged `hafen-snapshot/<project>/<container>:<snapshot>`) and one volume per
 * named volume per snapshot (a copy), each labelled with the project and the snapshot's name, so
 * the engine alone knows them: `snapshot ls` lists those labels, `snapshot rm` and `down -v` remove
 * what carries them. The images also carry the snapshot's facts (time, volumes, sizes).
 */
import type Docker from 'dockerode';
import type { SnapshotInfo } from '../../snapshot-types.js';
import { engineMessage, isNotFound } from '../docker-errors.js';
import { RuntimeError } from '../../../errors.js';

/** Labels of snapshot images and volumes (a snapshot's name is its images' tag). */
export const SnapshotLabel = {
  project: 'io.hafen.snapshot.project',
  container: 'io.hafen.snapshot.container',
  service: 'io.hafen.snapshot.service',
  created: 'io.hafen.snapshot.created',
  /** On images: JSON `{ "<project volume>": "<snapshot volume>" }` of the snapshot's volumes. */
  volumes: 'io.hafen.snapshot.volumes',
  /** On images: bytes copied of the snapshot's volumes. */
  volumeBytes: 'io.hafen.snapshot.volume-bytes',
  /** On images: the ID of the image the container was made from (its size is not the snapshot's). */
  base: 'io.hafen.snapshot.base',
  /** On volumes: the project volume it is a copy of. */
  volume: 'io.hafen.snapshot.volume',
} as const;

/** Label on the volume images of an embedded runtime's save: the volume's tree is the layers' root (Docker's saves put it under /from). */
export const VOLUME_ROOT_LABEL = 'io.hafen.snapshot.volume-root';

/** On an embedded snapshot's anonymous-volume image: JSON `{ container, target }` of the volume it holds. */
export const ANONYMOUS_LABEL = 'io.hafen.snapshot.anonymous-volume';

/** A path component of an image repository: lower-case letters and digits joined by dashes. */
function component(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/** The repository a project's snapshot images are tagged in (one per container; the tag is the snapshot's name). */
export function snapshotRepo(project: string, container: string): string {
  return `hafen-snapshot/${component(project)}/${component(container)}`;
}

/** The image a volume of snapshot `name` is saved as (`stack image save --snapshot`, both runtimes). */
export function volumeImageRef(project: string, volume: string, name: string): string {
  return `${snapshotRepo(project, `volume-${volume}`)}:${name}`;
}

/** The engine's label filter for a project's snapshot images and volumes. */
export function snapshotFilter(project: string): { label: string[] } {
  return { label: [`${SnapshotLabel.project}=${project}`] };
}

/** One container's image in one snapshot, as listed. */
export interface SnapshotImage {
  id: string;
  /** The snapshot (the tag). */
  name: string;
  /** `repo:tag`. */
  ref: string;
  container: string;
  service: string;
  created: string;
  volumes: Record<string, string>;
  /** Bytes the commit added over its base image. */
  layerBytes: number;
  /** Bytes of the volume copies (the same on each image of a snapshot). */
  volumeBytes: number;
  /** The ID of the image the container was made from ('' when not labelled). */
  base: string;
}

/** The snapshot images of `project` (of snapshot `name` when given). */
export async function snapshotImages(docker: Docker, project: string, name?: string): Promise<SnapshotImage[]> {
  const [held, all] = await Promise.all([docker.listImages({ filters: snapshotFilter(project) }), docker.listImages()]);
  const sizes = new Map(all.map((i) => [i.Id, i.Size]));
  return held.flatMap((i) => {
    const l = i.Labels ?? {};
    const container = l[SnapshotLabel.container] ?? '';
    const repo = snapshotRepo(project, container);
    return (i.RepoTags ?? [])
      .filter((t) => t.startsWith(`${repo}:`))
      .map((ref) => ({
        id: i.Id,
        name: ref.slice(repo.length + 1),
        ref,
        container,
        service: l[SnapshotLabel.service] ?? '',
        created: l[SnapshotLabel.created] ?? new Date(i.Created * 1000).toISOString(),
        volumes: JSON.parse(l[SnapshotLabel.volumes] ?? '{}') as Record<string, string>,
        layerBytes: Math.max(0, i.Size - (sizes.get(l[SnapshotLabel.base] ?? '') ?? 0)),
        volumeBytes: Number(l[SnapshotLabel.volumeBytes] ?? 0),
        base: l[SnapshotLabel.base] ?? '',
      }));
  }).filter((i) => name === undefined || i.name === name);
}

/** The images grouped into snapshots, oldest first (as the embedded runtime lists them). */
export function snapshotInfos(project: string, images: SnapshotImage[]): SnapshotInfo[] {
  const byName = new Map<string, SnapshotImage[]>();
  for (const i of images) byName.set(i.name, [...(byName.get(i.name) ?? []), i]);
  return [...byName].map(([name, held]) => ({
    name,
    project,
    services: [...new Set(held.map((i) => i.service))].sort(),
    containers: held.map((i) => i.container).sort(),
    volumes: [...new Set(held.flatMap((i) => Object.keys(i.volumes)))].sort(),
    size: held.reduce((sum, i) => sum + i.layerBytes, 0) + Math.max(...held.map((i) => i.volumeBytes)),
    createdAt: held.map((i) => i.created).sort()[0]!,
  })).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
}

async function removing(what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!isNotFound(err)) throw new RuntimeError(what, `cannot remove: ${engineMessage(err)}`, { cause: err });
  }
}

/** Removes snapshot images (their tags; an image goes with its last) and the volume copies they name. */
export async function removeSnapshotImages(docker: Docker, images: SnapshotImage[]): Promise<void> {
  // Forced: after a reset the containers are made of these images, and the engine then refuses to untag one unforced (the image stays while they use it; `down -v` removes it by label).
  for (const i of images) await removing(`snapshot image ${i.ref}`, () => docker.getImage(i.ref).remove({ force: true, noprune: false }));
  const volumes = new Set(images.flatMap((i) => Object.values(i.volumes)));
  for (const v of volumes) await removing(`snapshot volume ${v}`, () => docker.getVolume(v).remove());
}

/** Removes every snapshot of `project` (`down -v`): images and volume copies, also those (and copy helpers) a failed or killed snapshot left. */
export async function removeProjectSnapshots(docker: Docker, project: string): Promise<void> {
  const filters = snapshotFilter(project);
  for (const c of await docker.listContainers({ all: true, filters })) await removing(`copy helper ${c.Id}`, () => docker.getContainer(c.Id).remove({ force: true }));
  const [images, volumes] = await Promise.all([docker.listImages({ filters }), docker.listVolumes({ filters })]);
  for (const i of images) await removing(`snapshot image ${i.Id}`, () => docker.getImage(i.Id).remove({ force: true }));
  for (const v of volumes.Volumes ?? []) await removing(`snapshot volume ${v.Name}`, () => docker.getVolume(v.Name).remove());
}

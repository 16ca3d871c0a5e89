/**
 * A Docker snapshot as one docker-archive (issue 20: `stack image save --snapshot NAME`), so a CI
 * job seeds once, saves, and every later job on another machine `docker load`s it and starts
 * seeded (`up --from-snapshot NAME`). The archive holds the snapshot's container images, the images
 * they were made from (under their names) and, for each volume copy, an image whose one plain layer
 * is the volume's tree under /from (labelled with the project, the volume and the snapshot). After a
 * load, a reset finds no volume copy and makes it again from that image; the embedded runtime's
 * `stack image load` restores the snapshot from the same images (embedded/snapshots/snapshot-from-images.ts).
 */
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { RuntimeError } from '../../../errors.js';
import { engineMessage, isNotFound } from '../docker-errors.js';
import { copyImageLayerInto, copyInto, helperContainer } from './copy-volume.js';
import { requireDockerSnapshot } from './reset-docker-snapshot.js';
import { SnapshotLabel, VOLUME_ROOT_LABEL, volumeImageRef } from './snapshot-store.js';

/** Makes the image of one volume copy: its tree under /from as one layer (`docker import`). */
async function volumeImage(docker: Docker, project: string, volume: string, copy: string, helperImage: string, ref: string): Promise<void> {
  const reader = await helperContainer(docker, helperImage, `${copy}:/from:ro`, { [SnapshotLabel.project]: project });
  try {
    const tar = await reader.getArchive({ path: '/from' });
    const [repo, tag] = [ref.slice(0, ref.lastIndexOf(':')), ref.slice(ref.lastIndexOf(':') + 1)];
    const changes = [`LABEL ${SnapshotLabel.project}=${JSON.stringify(project)}`, `LABEL ${SnapshotLabel.volume}=${JSON.stringify(volume)}`];
    const progress = await docker.importImage(tar, { repo, tag, changes });
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve())));
  } finally {
    await reader.remove({ force: true }).catch(() => undefined);
  }
}

/** Writes snapshot `name` of `project` to `file` as a docker-archive (`docker load` reads it). */
export async function saveDockerSnapshot(docker: Docker, project: string, name: string, file: string): Promise<string[]> {
  const images = [...(await requireDockerSnapshot(docker, project, name)).values()];
  const made: string[] = [];
  try {
    for (const [volume, copy] of Object.entries(images[0]!.volumes)) {
      const ref = volumeImageRef(project, volume, name);
      await volumeImage(docker, project, volume, copy, images[0]!.id, ref);
      made.push(ref);
    }
    // The containers' own images too, under their names (as the embedded runtime's save has them): a
    // state root that loads the archive has what `up` makes the containers of, and the snapshot's base.
    const bases: string[] = [];
    for (const id of new Set(images.map((i) => i.base).filter((b) => b !== ''))) {
      const tags = (await docker.getImage(id).inspect().catch(() => undefined))?.RepoTags ?? [];
      bases.push(...(tags.length > 0 ? tags : [id]));
    }
    const refs = [...images.map((i) => i.ref), ...made, ...bases];
    // `docker save` of several images: dockerode has it, its types do not.
    const save = (docker as unknown as { getImages(opts: { names: string[] }): Promise<NodeJS.ReadableStream> }).getImages({ names: refs });
    await pipeline(await save, fs.createWriteStream(file));
    return [...images.map((i) => i.ref), ...made];
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    throw new RuntimeError(`snapshot ${name}`, `cannot save it to ${file}: ${engineMessage(err)}`, { cause: err });
  } finally {
    // The volume images live in the archive; on this engine the volume copies hold the data.
    for (const ref of made) await docker.getImage(ref).remove().catch(() => undefined);
  }
}

/** Makes snapshot volume `copy` (of project volume `volume`) again from its saved image, when a load brought the snapshot without it. */
export async function volumeCopyFromImage(docker: Docker, project: string, volume: string, copy: string, name: string): Promise<void> {
  if (await docker.getVolume(copy).inspect().then(() => true, (err: unknown) => (isNotFound(err) ? false : Promise.reject(err)))) return;
  const ref = volumeImageRef(project, volume, name);
  const image = await docker.getImage(ref).inspect().catch(() => undefined);
  if (!image) {
    throw new RuntimeError(`snapshot ${name}`, `its copy of volume ${volume} (${copy}) is gone and no saved image ${ref} is loaded`);
  }
  await docker.createVolume({ Name: copy, Labels: { [SnapshotLabel.project]: project, [SnapshotLabel.volume]: volume } });
  const labels = { [SnapshotLabel.project]: project };
  const what = `volume ${volume} of snapshot ${name}`;
  // Saved by the embedded runtime: the volume's tree is the layer's root, not /from.
  if (image.Config?.Labels?.[VOLUME_ROOT_LABEL] === '/') await copyImageLayerInto(docker, ref, copy, labels, what);
  else await copyInto(docker, { image: ref }, copy, labels, what);
}

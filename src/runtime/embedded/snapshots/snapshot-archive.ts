/**
 * An embedded snapshot as one docker-archive (issue 20: `stack image save --snapshot NAME`), in the
 * shape and with the tags and labels the Docker runtime's save writes (docker/snapshots/
 * snapshot-archive.ts): per container an image `hafen-snapshot/<project>/<container>:<snapshot>`
 * whose layers are its image's layers and then the snapshot's, per named volume an image
 * `hafen-snapshot/<project>/volume-<volume>:<snapshot>` of the volume's plain layers, per anonymous
 * volume one `hafen-snapshot/<project>/anon-<container>-<n>:<snapshot>` (labelled with its container
 * and place; the Docker runtime does not read these), and the
 * containers' own images under their names, so a load elsewhere has what `up` makes containers of.
 * `docker load` reads it; `stack image load` reads it and makes the snapshot record again
 * (snapshot-from-images.ts).
 */
import path from 'node:path';
import { ANONYMOUS_LABEL, SnapshotLabel, snapshotRepo, VOLUME_ROOT_LABEL, volumeImageRef } from '../../docker/snapshots/snapshot-store.js';
import { RuntimeError } from '../../../errors.js';
import { ArchiveWriter } from '../image-io/archive-writer.js';
import { writeLayerTar } from '../image-io/export-docker-archive.js';
import { exportedImage } from '../image-io/exported-image.js';
import { familiarName } from '../image-io/image-names.js';
import { sha256, type Digest } from '../layers/index.js';
import type { ImageConfig } from '../store/oci-types.js';
import type { Store } from '../store/index.js';
import { requireSnapshot, type SnapshotRecord } from './snapshot-record.js';

/** One image of the archive: its config and the store layers (ChainIDs, base first) it is made of. */
interface ArchiveImage {
  config: Buffer;
  layers: Digest[];
  tags: string[];
}

const hex = (d: string) => d.slice('sha256:'.length);

/** The DiffIDs of stored layers (ChainIDs); throws naming the snapshot when one is gone. */
function diffIds(store: Store, layers: readonly string[], what: string): Digest[] {
  return layers.map((id) => {
    const layer = store.layers.get(id as Digest);
    if (!layer) throw new RuntimeError(what, `snapshot layer ${id} is no longer in the store; take the snapshot again`);
    return layer.diffId;
  });
}

/** `config` with the snapshot's layers and labels added (history too, one entry per layer, as `docker history` expects). */
function extendConfig(config: ImageConfig, added: Digest[], labels: Record<string, string>, created: string, by: string): ImageConfig {
  return {
    ...config,
    created,
    config: { ...config.config, Labels: { ...(config.config?.Labels ?? {}), ...labels } },
    rootfs: { type: 'layers', diff_ids: [...config.rootfs.diff_ids, ...added] },
    ...(config.history ? { history: [...config.history, ...added.map(() => ({ created, created_by: by }))] } : {}),
  };
}

/** The images of snapshot `record`: container images over their bases, the bases under their names, one per volume. */
function archiveImages(store: Store, record: SnapshotRecord): ArchiveImage[] {
  const what = `snapshot ${record.name}`;
  const images: ArchiveImage[] = [];
  // Named as the Docker runtime names its volume copies (`<volume>.snapshot-<id>`): after a `docker load` it makes them from the volume images.
  const id = sha256(`${record.project}/${record.name}/${record.createdAt}`).slice(7, 15);
  const volumes = Object.fromEntries(Object.keys(record.volumes).map((v) => [v, `${v}.snapshot-${id}`]));
  const volumeBytes = Object.values(record.volumes).flatMap((v) => v.layers).reduce((sum, l) => sum + (store.layers.get(l as Digest)?.size ?? 0), 0);
  const bases = new Map<string, ReturnType<typeof exportedImage>>();
  let platform: Pick<ImageConfig, 'architecture' | 'os'> = { architecture: '', os: 'linux' };
  for (const [container, held] of Object.entries(record.containers)) {
    if (!held.image) throw new RuntimeError(what, `container ${container} has no image digest in the snapshot record; take the snapshot again`);
    const base = bases.get(held.image) ?? exportedImage(store, held.image);
    bases.set(held.image, base);
    platform = { architecture: base.image.config.architecture, os: base.image.config.os };
    const labels = {
      [SnapshotLabel.project]: record.project,
      [SnapshotLabel.container]: container,
      [SnapshotLabel.service]: held.service,
      [SnapshotLabel.created]: record.createdAt,
      [SnapshotLabel.volumes]: JSON.stringify(volumes),
      [SnapshotLabel.volumeBytes]: String(volumeBytes),
      [SnapshotLabel.base]: base.image.manifest.config.digest,
    };
    const config = extendConfig(base.image.config, diffIds(store, held.layers, what), labels, record.createdAt, `hafen snapshot ${record.name}`);
    images.push({ config: Buffer.from(JSON.stringify(config)), layers: [...base.image.chainIds, ...(held.layers as Digest[])], tags: [`${snapshotRepo(record.project, container)}:${record.name}`] });
  }
  for (const [digest, base] of bases) {
    const tags = store.images.list().filter((r) => r.manifest === digest).map((r) => familiarName(r.name));
    images.push({ config: base.config, layers: base.image.chainIds, tags });
  }
  // Anonymous volumes: one image each, as a named volume's, named by its container and place.
  for (const [container, held] of Object.entries(record.containers)) {
    Object.entries(held.anonymous ?? {}).forEach(([target, a], i) => {
      const labels = { [SnapshotLabel.project]: record.project, [ANONYMOUS_LABEL]: JSON.stringify({ container, target }), [SnapshotLabel.created]: record.createdAt, [VOLUME_ROOT_LABEL]: '/' };
      const config: ImageConfig = { ...platform, created: record.createdAt, config: { Labels: labels }, rootfs: { type: 'layers', diff_ids: diffIds(store, a.layers, what) } };
      images.push({ config: Buffer.from(JSON.stringify(config)), layers: a.layers as Digest[], tags: [`${snapshotRepo(record.project, `anon-${container}-${i}`)}:${record.name}`] });
    });
  }
  for (const [volume, held] of Object.entries(record.volumes)) {
    const labels = { [SnapshotLabel.project]: record.project, [SnapshotLabel.volume]: volume, [VOLUME_ROOT_LABEL]: '/' };
    const config: ImageConfig = { ...platform, created: record.createdAt, config: { Labels: labels }, rootfs: { type: 'layers', diff_ids: diffIds(store, held.layers, what) } };
    images.push({ config: Buffer.from(JSON.stringify(config)), layers: held.layers as Digest[], tags: [volumeImageRef(record.project, volume, record.name)] });
  }
  return images;
}

/**
 * Writes snapshot `name` of `project` to `file` as a docker-archive, atomically (each layer once,
 * however many images stand on it). Resolves to the snapshot's image names written.
 */
export async function saveEmbeddedSnapshot(root: string, store: Store, project: string, name: string, file: string): Promise<string[]> {
  const record = requireSnapshot(root, project, name);
  const images = archiveImages(store, record);
  const what = `snapshot ${name}`;
  const out = await ArchiveWriter.create(path.resolve(file));
  try {
    const written = new Map<string, string>();
    const manifest = [];
    for (const image of images) {
      const layers: string[] = [];
      for (const id of image.layers) {
        if (!written.has(id)) {
          const layer = store.layers.get(id);
          if (!layer) throw new RuntimeError(what, `layer ${id} is no longer in the store`);
          written.set(id, await writeLayerTar(out, store, layer, what));
        }
        layers.push(written.get(id)!);
      }
      const config = `${hex(sha256(image.config))}.json`;
      if (!written.has(config)) await out.file(config, image.config);
      written.set(config, config);
      manifest.push({ Config: config, RepoTags: image.tags, Layers: layers });
    }
    await out.file('manifest.json', JSON.stringify(manifest));
    await out.commit();
  } catch (err) {
    await out.abort();
    throw err;
  }
  return images.filter((i) => i.tags.some((t) => t.startsWith('hafen-snapshot/'))).flatMap((i) => i.tags);
}

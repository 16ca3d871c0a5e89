/**
 * Snapshot records made again from loaded images (issue 20): `stack image load` of an archive that
 * `stack image save --snapshot` wrote puts its images in the store; their labels and tags say which
 * project, snapshot, container and volume each is, and the layers above a container image's base
 * are the snapshot's. Writing the records makes `up --from-snapshot NAME` start seeded on a machine
 * (or state root) that never took the snapshot. Archives of both runtimes: a Docker snapshot image is
 * a commit of the container (its image's layers and then one layer, as the embedded runtime stores a
 * snapshot over its image), and its volume images hold the tree under /from, made a layer of its own here.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ANONYMOUS_LABEL, SnapshotLabel, VOLUME_ROOT_LABEL } from '../../docker/snapshots/snapshot-store.js';
import { commitUpper } from '../builder/layer-commit.js';
import type { Digest } from '../layers/index.js';
import type { Store, StoredImage } from '../store/index.js';
import { run } from './layered-volume.js';
import { layersOf, writeSnapshot, type SnapshotRecord } from './snapshot-record.js';

/** Where the Docker runtime's volume images hold the volume's tree (its save reads the volume bound at /from). */
const DOCKER_VOLUME_ROOT = 'from';

/**
 * A stored layer of the volume tree a Docker-saved volume image holds under /from, so the volume
 * stands on it as on a layer the embedded runtime saved (the tree at the root). Its one layer is
 * copied (`cp -a`: owners, modes, times, xattrs kept) and committed (none for an empty volume, as a
 * snapshot of one here holds none); undefined when the image has no /from.
 */
async function volumeLayerFromDocker(store: Store, image: StoredImage, what: string): Promise<Digest[] | undefined> {
  if (image.chainIds.length !== 1) return undefined;
  const from = path.join(store.layers.diffDir(image.chainIds[0]!), DOCKER_VOLUME_ROOT);
  if (!fs.lstatSync(from, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  const work = path.join(store.paths.tmp, `volume-${process.pid}-${randomBytes(6).toString('hex')}`);
  fs.mkdirSync(work, { mode: 0o700 });
  try {
    const tree = path.join(work, 'tree');
    await run('cp', ['-a', '--reflink=auto', '--', from, tree], what);
    const layer = await commitUpper(store, null, tree, []);
    return layer ? [layer.record.chainId] : [];
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The snapshot name of a snapshot image: its tag in the `hafen-snapshot/` repository. */
function snapshotTag(store: Store, image: StoredImage): string | undefined {
  const ref = store.images.list().find((r) => r.manifest === image.manifestDigest && r.name.includes('hafen-snapshot/'));
  return ref ? ref.name.slice(ref.name.lastIndexOf(':') + 1) : undefined;
}

/** The stored image whose config digest is `id` and whose layers begin `layers`. */
function baseImage(store: Store, id: string, layers: readonly Digest[]): StoredImage | undefined {
  for (const ref of store.images.list()) {
    const image = store.images.get(ref.manifest);
    if (image?.manifest.config.digest === id && image.chainIds.every((c, i) => layers[i] === c)) return image;
  }
  return undefined;
}

/**
 * Writes the snapshot records `loaded` (images just imported) make up, replacing records of the
 * same names. Resolves to one line per snapshot restored, and per image that could not be used.
 */
export async function restoreSnapshots(root: string, store: Store, loaded: readonly StoredImage[]): Promise<string[]> {
  const records = new Map<string, SnapshotRecord>();
  const notes: string[] = [];
  const anonymous: { record: SnapshotRecord; container: string; target: string; layers: string[] }[] = [];
  const recordOf = (project: string, name: string, created: string): SnapshotRecord => {
    const key = `${project}\0${name}`;
    let r = records.get(key);
    if (!r) records.set(key, (r = { version: 1, name, project, createdAt: created, containers: {}, volumes: {}, size: 0 }));
    return r;
  };
  for (const image of loaded) {
    const labels = image.config.config?.Labels ?? {};
    const project = labels[SnapshotLabel.project];
    const name = project ? snapshotTag(store, image) : undefined;
    if (!project || !name) continue;
    const created = labels[SnapshotLabel.created] ?? image.config.created ?? new Date().toISOString();
    const container = labels[SnapshotLabel.container];
    const volume = labels[SnapshotLabel.volume];
    const anonymousOf = labels[ANONYMOUS_LABEL];
    if (anonymousOf) {
      anonymous.push({ record: recordOf(project, name, created), ...(JSON.parse(anonymousOf) as { container: string; target: string }), layers: [...image.chainIds] });
    } else if (container) {
      const base = baseImage(store, labels[SnapshotLabel.base] ?? '', image.chainIds);
      if (!base) {
        notes.push(`snapshot ${name}: container ${container}'s image ${labels[SnapshotLabel.base]} is not in the store; not restored`);
        continue;
      }
      const record = recordOf(project, name, created);
      record.containers[container] = { service: labels[SnapshotLabel.service] ?? container, image: base.manifestDigest, layers: image.chainIds.slice(base.chainIds.length) };
    } else if (volume) {
      // The embedded runtime stands a volume on its saved layers as they are; Docker's saves hold the tree under /from.
      const layers = labels[VOLUME_ROOT_LABEL] === '/' ? [...image.chainIds] : await volumeLayerFromDocker(store, image, `volume ${volume} of snapshot ${name}`);
      if (!layers) {
        notes.push(`snapshot ${name}: volume ${volume}'s image holds no /${DOCKER_VOLUME_ROOT} folder; not restored`);
        continue;
      }
      recordOf(project, name, created).volumes[volume] = { layers };
    }
  }
  // Once every container is known: an anonymous volume goes with its container.
  for (const a of anonymous) {
    const held = a.record.containers[a.container];
    if (held) held.anonymous = { ...held.anonymous, [a.target]: { layers: a.layers } };
  }
  for (const record of records.values()) {
    if (Object.keys(record.containers).length === 0) continue;
    const ids = new Set(layersOf(record));
    record.size = [...ids].reduce((sum, id) => sum + (store.layers.get(id as Digest)?.size ?? 0), 0);
    writeSnapshot(root, record);
    notes.push(`Restored snapshot ${record.name} of project ${record.project} (${Object.keys(record.containers).length} containers, ${Object.keys(record.volumes).length} volumes)`);
  }
  return notes;
}

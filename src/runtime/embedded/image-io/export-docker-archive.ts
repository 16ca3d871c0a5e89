/**
 * `stack image save`: an image as a docker-archive in the legacy shape every `docker load` reads
 * (dockerd 20.10 and later, skopeo): `manifest.json`, the config as `<hex>.json`, each layer as an
 * uncompressed `<id>/layer.tar` (DiffIDs are what `docker load` checks), and `repositories`.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import { openLayerBlob, type Digest } from '../layers/index.js';
import type { Store } from '../store/index.js';
import { ArchiveWriter } from './archive-writer.js';
import { exportedImage, type ExportedLayer } from './exported-image.js';
import { familiarName } from './image-names.js';
import { parseImageSource } from './image-sources.js';

/** What a save wrote. */
export interface SavedArchive {
  file: string;
  /** The image id: the config's digest, the same `docker load` reports. */
  imageId: Digest;
  repoTags: string[];
}

const hex = (d: Digest) => d.slice('sha256:'.length);

/** `repositories` maps repository → tag → top layer id (read by loaders older than manifest.json). */
function repositories(name: string, topLayer: string): string {
  const colon = name.lastIndexOf(':');
  return JSON.stringify({ [name.slice(0, colon)]: { [name.slice(colon + 1)]: topLayer } });
}

/**
 * Writes one layer as `<chainId hex>/layer.tar` (the ChainID is unique per position, even when two
 * layers have the same DiffID), streamed from its stored blob and checked against its DiffID on the
 * way out. Resolves to the member's path.
 */
export async function writeLayerTar(out: ArchiveWriter, store: Store, layer: Pick<ExportedLayer, 'blob' | 'chainId' | 'diffId' | 'size'>, what: string): Promise<string> {
  const id = hex(layer.chainId);
  await out.dir(`${id}/`);
  const { tar } = await openLayerBlob(store.blobs.open(layer.blob));
  const hash = createHash('sha256');
  await out.stream(`${id}/layer.tar`, layer.size, (async function* () {
    for await (const chunk of tar) {
      hash.update(chunk as Buffer);
      yield chunk as Buffer;
    }
  })());
  const diffId = `sha256:${hash.digest('hex')}`;
  if (diffId !== layer.diffId) throw new RuntimeError(what, `layer ${layer.blob} unpacks to ${diffId}, not its DiffID ${layer.diffId}: the store is damaged`);
  return `${id}/layer.tar`;
}

/**
 * Writes `imageName` from the store to `outFile` as a docker-archive, atomically. Each layer is
 * streamed from its stored blob, decompressed, and checked against its DiffID on the way out.
 */
export async function saveDockerArchive(store: Store, imageName: string, outFile: string): Promise<SavedArchive> {
  const image = exportedImage(store, imageName);
  const file = path.resolve(outFile);
  const what = `docker-archive ${outFile}`;
  const imageId = image.image.manifest.config.digest;
  // An image known by where it came from (`docker-archive:/x.tar`, `oci:/layout:v1`) has no name Docker could load.
  const named = image.name !== undefined && !image.name.includes('@') && parseImageSource(image.name).kind === 'registry';
  const repoTags = named ? [familiarName(image.name!)] : [];
  const layerPaths: string[] = [];
  const out = await ArchiveWriter.create(file);
  try {
    for (const layer of image.layers) layerPaths.push(await writeLayerTar(out, store, layer, what));
    await out.file(`${hex(imageId)}.json`, image.config);
    await out.file('manifest.json', JSON.stringify([{ Config: `${hex(imageId)}.json`, RepoTags: repoTags, Layers: layerPaths }]));
    if (repoTags[0] && layerPaths.length) await out.file('repositories', repositories(repoTags[0], path.dirname(layerPaths.at(-1)!)));
    await out.commit();
  } catch (err) {
    await out.abort();
    throw err;
  }
  return { file, imageId, repoTags };
}

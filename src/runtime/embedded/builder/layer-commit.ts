/**
 * A build step's scratch space and its end: the fresh upper dir (and overlay work dir) a step
 * writes into, under the store's tmp folder (so a crash leaves only garbage that prune removes),
 * and turning a finished upper dir into a stored layer.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { diffLayer, sha256, type Digest } from '../layers/index.js';
import { END_OF_ARCHIVE } from '../layers/tar-format.js';
import { MediaType, type Descriptor, type LayerRecord, type Store } from '../store/index.js';

/** Folders of one step; `remove()` deletes whatever is left of them. */
export interface StepDirs {
  root: string;
  upper: string;
  work: string;
  target: string;
  /** Host files the step binds into its sandbox (heredoc scripts, /etc/hosts). */
  files: string;
  remove(): void;
}

/** Makes a step's folders, the upper dir's root 0755 (overlayfs shows it as the container's `/`). */
export function makeStepDirs(store: Store): StepDirs {
  const root = path.join(store.paths.tmp, `build-${process.pid}-${randomBytes(6).toString('hex')}`);
  fs.mkdirSync(root, { mode: 0o700 });
  const dirs = { root, upper: `${root}/upper`, work: `${root}/work`, target: `${root}/rootfs`, files: `${root}/files` };
  for (const d of [dirs.upper, dirs.work, dirs.target, dirs.files]) fs.mkdirSync(d, { mode: 0o700 });
  fs.chmodSync(dirs.upper, 0o755);
  return { ...dirs, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** A layer a step added. */
export interface CommittedLayer {
  record: LayerRecord;
  descriptor: Descriptor;
}

const EMPTY_TAR: Digest = sha256(END_OF_ARCHIVE);

/**
 * Diffs `upperDir` against the layers below (so whiteouts that hide nothing drop out), stores the
 * tar as a blob and moves the upper dir into the layer store as the layer over `parent`.
 * Undefined when the step changed nothing: it adds no layer.
 */
export async function commitUpper(store: Store, parent: Digest | null, upperDir: string, lowerDirs: readonly string[]): Promise<CommittedLayer | undefined> {
  if (fs.readdirSync(upperDir).length === 0) return undefined;
  const hadEmpty = store.blobs.has(EMPTY_TAR);
  const tar = diffLayer(upperDir, { lowerDirs });
  const blob = await store.blobs.put(tar.stream);
  const { diffId, size } = await tar.digest;
  if (diffId === EMPTY_TAR) {
    if (!hadEmpty) store.blobs.remove(EMPTY_TAR);
    return undefined;
  }
  const record = store.layers.adopt(parent, diffId, size, blob.digest, upperDir);
  return { record, descriptor: { mediaType: MediaType.layer, digest: blob.digest, size: blob.size } };
}

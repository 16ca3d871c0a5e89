/**
 * What the previous snapshot captured of a writable folder (issue 20), kept beside the folder so the
 * next snapshot without a reset in between captures only what changed since (layer-delta.ts): the
 * layers it made of the folder (base first; the top one is the folder's copy then), a ctime probe
 * made before that copy, and the folder's identity (a reset or a new volume makes a new folder, and
 * then the marker no longer applies).
 */
import fs from 'node:fs';
import { readJsonFile, writeFileAtomic } from '../store/atomic.js';
import type { Store } from '../store/index.js';

/** The marker as written. */
interface Marker {
  folder: string;
  layers: string[];
  ctimeBefore: string;
}

/** A marker that applies: the previous layers and the probe's ctime. */
export interface PreviousCapture {
  layers: string[];
  ctimeBefore: bigint;
}

/** The folder's identity: device, inode and birth time (an inode number alone may be reused). */
function identity(folder: string): string {
  const st = fs.statSync(folder, { bigint: true });
  return `${st.dev}:${st.ino}:${st.birthtimeNs}`;
}

/** A probe's ctime (ns) on the clock file changes are stamped with: files changed after it have a later or equal one. */
export function ctimeProbe(dir: string): bigint {
  const file = `${dir}/.ctime-probe`;
  fs.writeFileSync(file, '');
  const ctime = fs.statSync(file, { bigint: true }).ctimeNs;
  fs.rmSync(file);
  return ctime;
}

/** The marker at `file` when it still describes `folder` over `base` and its layers are all in the store. */
export function readCapture(file: string, folder: string, base: readonly string[], store: Store): PreviousCapture | undefined {
  const m = readJsonFile<Marker>(file);
  if (!m || m.layers.length <= base.length || !fs.existsSync(folder) || m.folder !== identity(folder)) return undefined;
  if (base.some((id, i) => m.layers[i] !== id)) return undefined;
  if (!m.layers.every((id) => store.layers.has(id as `sha256:${string}`))) return undefined;
  return { layers: m.layers, ctimeBefore: BigInt(m.ctimeBefore) };
}

/** Writes the marker after a snapshot made `layers` of `folder`, copied after the probe `ctimeBefore`. */
export function writeCapture(file: string, folder: string, layers: readonly string[], ctimeBefore: bigint): void {
  writeFileAtomic(file, JSON.stringify({ folder: identity(folder), layers: [...layers], ctimeBefore: String(ctimeBefore) } satisfies Marker));
}

/**
 * The image commands' view of a runtime (`stack image ls`, `images`, `rmi`, `prune`,
 * `image save|load`): one interface, one implementation per runtime (the embedded store, a Docker
 * engine), so each command means the same on both and the CLI opens no store of its own.
 */
import type { RuntimeName } from '../config/model.js';
import type { ImageInfo } from './runtime.js';

/** One image as `stack images` shows it: what ImageInfo has, and the platform it is for. */
export interface ImageDetails extends ImageInfo {
  /** `linux/amd64`, when the image says. */
  platform?: string;
}

/** A file `stack image load` reads: a `docker save` tar or an OCI layout folder; `ref` picks one image of several. */
export interface ImageArchive {
  kind: 'docker-archive' | 'oci';
  path: string;
  ref?: string;
}

/** One image a load brought in: the names it now has (none when the archive named it not), and its id. */
export interface LoadedImage {
  names: string[];
  id: string;
}

/** What a prune took away: counted things (`3 layer(s)`) and the bytes freed. */
export interface PruneSummary {
  removed: string[];
  bytes: number;
}

/** The formats `stack image save` writes. */
export type SaveFormat = 'docker-archive' | 'oci';

/** The images of one runtime. Errors name the image (RuntimeError, exit 1) or the bad request (UsageError, exit 2). */
export interface ImageService {
  readonly runtime: RuntimeName;
  /** Every named image: the embedded store's tags, or the engine's. */
  list(): Promise<ImageInfo[]>;
  /** One image by name or id; undefined when there is none. */
  inspect(ref: string): Promise<ImageDetails | undefined>;
  /** Removes a name (and on Docker the image when no name is left); resolves to what was done, line by line (`Untagged: x`). */
  remove(ref: string): Promise<string[]>;
  /** Frees what nothing uses; `buildCache` also drops the build cache. */
  prune(opts: { buildCache: boolean }): Promise<PruneSummary>;
  /** Writes an image to a file (docker-archive) or a folder (oci). */
  save(ref: string, file: string, format: SaveFormat): Promise<void>;
  /** Reads the images of an archive; `tag` also names the one image it holds; `signal` stops it, keeping nothing of it. */
  load(archive: ImageArchive, opts: { tag?: string; signal?: AbortSignal; say?: (line: string) => void }): Promise<LoadedImage[]>;

  // Issue 18, push: an image to a registry (OCI distribution on the embedded runtime, the engine's push on Docker).
  /** Pushes `local` (as the runtime names it) to `target` (`host[:port]/repo:tag`); per layer, `onLayer` says what became of it. */
  push(local: string, target: string, opts: PushRequest): Promise<PushedImage>;
}

/** How a push goes: progress per layer, and a signal that stops it. */
export interface PushRequest {
  onLayer?: (layer: PushedLayer) => void;
  signal?: AbortSignal;
}

/** What became of one layer: sent (`pushed`), already there (`exists`), or mounted from another repository. */
export interface PushedLayer {
  /** The layer's digest, or the engine's short id of it on Docker. */
  id: string;
  outcome: 'pushed' | 'exists' | 'mounted';
  /** The repository it was mounted from. */
  from?: string;
  /** Bytes sent, when known. */
  size?: number;
  /** Requests the bytes went in, when more than one (a chunked upload). */
  chunks?: number;
}

/** A pushed image: the reference in full, and the digest of its manifest in the registry. */
export interface PushedImage {
  reference: string;
  digest: string;
}

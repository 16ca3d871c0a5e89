/**
 * How much an image import or pull may read, so an input that never ends (`/dev/zero`, a registry
 * that streams forever) or a decompression bomb (a small gzip of many zeros) stops with a clear
 * error instead of filling the disk. Generous defaults; environment variables raise or lower them.
 */
import { RuntimeError, UsageError } from '../../errors.js';
import { parseSize } from '../../config/units.js';
import { ValueError } from '../../config/issues.js';

/** The two limits of one import or pull, in bytes. */
export interface ImageLimits {
  /** Bytes read from the source in all: an archive file, the layer blobs of a layout or a registry (compressed as they come). */
  maxBytes: number;
  /** The uncompressed size of any one layer (and of an archive compressed as a whole). */
  maxLayerBytes: number;
}

/** The environment variables that set each limit, for messages. */
export const LIMIT_VARIABLES = { maxBytes: 'HAFEN_MAX_IMAGE_BYTES', maxLayerBytes: 'HAFEN_MAX_LAYER_BYTES' } as const;

const GIB = 1024 ** 3;
/** 16 GiB read, 64 GiB per unpacked layer: far above any real image, far below a full disk. */
export const DEFAULT_LIMITS: ImageLimits = { maxBytes: 16 * GIB, maxLayerBytes: 64 * GIB };

/** The limits as the environment sets them (`16g`, `512m`, a number of bytes); a bad value is a usage error naming the variable. */
export function imageLimits(env: NodeJS.ProcessEnv = process.env): ImageLimits {
  const read = (key: keyof ImageLimits): number => {
    const name = LIMIT_VARIABLES[key];
    const text = env[name]?.trim();
    if (!text) return DEFAULT_LIMITS[key];
    let bytes: number;
    try {
      bytes = parseSize(text);
    } catch (err) {
      if (err instanceof ValueError) throw new UsageError(`${name}=${text}: ${err.message}`);
      throw err;
    }
    if (bytes <= 0) throw new UsageError(`${name}=${text}: the limit must be more than 0 bytes`);
    return bytes;
  };
  return { maxBytes: read('maxBytes'), maxLayerBytes: read('maxLayerBytes') };
}

/** An import or pull stopped by one of the limits; names the limit and how to raise it. */
export class ImageLimitError extends RuntimeError {
  constructor(
    resource: string,
    readonly limit: keyof ImageLimits,
    bytes: number,
    what: string,
  ) {
    super(resource, limitExceeded(limit, bytes, what));
  }
}

/** A size as people read it: `16 GiB`, `10 MiB`, `512 bytes`. */
export function formatLimit(bytes: number): string {
  for (const [unit, size] of [['TiB', 1024 ** 4], ['GiB', GIB], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** The sentence every limit error ends with: which limit, and how to raise it. */
export function limitExceeded(key: keyof ImageLimits, limit: number, what: string): string {
  const name = LIMIT_VARIABLES[key];
  return `${what} is more than ${formatLimit(limit)}, the limit ${name} sets (${key === 'maxBytes' ? 'bytes an import or pull may read' : 'uncompressed size of one layer'}); set ${name} higher (e.g. ${name}=${formatEnv(limit * 4)}) to allow it`;
}

function formatEnv(bytes: number): string {
  for (const [unit, size] of [['t', 1024 ** 4], ['g', GIB], ['m', 1024 ** 2], ['k', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** What every import and pull is given: the caller's abort signal and the limits (default: from the environment). */
export interface ImportControls {
  signal?: AbortSignal;
  limits?: ImageLimits;
}

/** The per-layer limit as an unpack takes it, its error naming `resource`. */
export function layerLimit(limits: ImageLimits, resource: string): { bytes: number; error: () => Error } {
  return { bytes: limits.maxLayerBytes, error: () => new ImageLimitError(resource, 'maxLayerBytes', limits.maxLayerBytes, 'the layer, uncompressed,') };
}

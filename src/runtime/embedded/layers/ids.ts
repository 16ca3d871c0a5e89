/** Content addresses for layers: digests, DiffIDs and ChainIDs as the OCI image spec defines them. */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/** A content digest, `sha256:` and 64 lowercase hex digits. */
export type Digest = `sha256:${string}`;

/** A layer's DiffID (sha256 of its uncompressed tar) and that tar's length in bytes. */
export interface LayerDigest {
  diffId: Digest;
  size: number;
}

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** Whether `s` is a well-formed sha256 digest. */
export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

/** The digest of some bytes (a string is taken as UTF-8). */
export function sha256(data: Buffer | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Reads a stream to its end, returning the digest and length of what it carried. */
export async function sha256Stream(stream: Readable): Promise<{ digest: Digest; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    hash.update(buf);
    size += buf.length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/**
 * The ChainID of a layer stacked on `parent` (a ChainID, or null for the bottom layer):
 * `sha256(parent + " " + diffId)`, and the DiffID itself for the bottom layer (OCI image spec).
 */
export function chainId(parent: Digest | null, diffId: Digest): Digest {
  return parent === null ? diffId : sha256(`${parent} ${diffId}`);
}

/** The ChainIDs of a stack of layers, bottom first, one per layer. */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const diffId of diffIds) out.push(chainId(out.at(-1) ?? null, diffId));
  return out;
}

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chainId, chainIds, isDigest, sha256, sha256Stream, type Digest } from './ids.js';

/** Docker's well-known empty layer: a tar of two zero blocks. */
const EMPTY_TAR: Digest = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
const OTHER: Digest = 'sha256:2c7a47f9d4f9ad6ae8d4b2a6e1e8c4e1e4e36a2b6f8d7c1b9a3e2f1d0c9b8a76';

describe('layer ids', () => {
  it('digests bytes and streams alike (the empty layer is Docker\'s 5f70bf18…)', async () => {
    expect(sha256(Buffer.alloc(1024))).toBe(EMPTY_TAR);
    const chunks = [Buffer.alloc(100), Buffer.alloc(924)];
    expect(await sha256Stream(Readable.from(chunks))).toEqual({ digest: EMPTY_TAR, size: 1024 });
  });

  it('chains ids as the OCI spec says: the bottom layer is its DiffID, then sha256(parent + " " + diffId)', () => {
    expect(chainId(null, EMPTY_TAR)).toBe(EMPTY_TAR);
    // printf '%s' "$EMPTY_TAR $OTHER" | sha256sum
    const expected = 'sha256:984131821f5f47c6229bb8055118c5b848dbdb1017c057b7408081ecb7006dee';
    expect(chainId(EMPTY_TAR, OTHER)).toBe(expected);
    expect(chainIds([EMPTY_TAR, OTHER, EMPTY_TAR])).toEqual([EMPTY_TAR, expected, chainId(expected, EMPTY_TAR)]);
  });

  it('tells digests from other strings', () => {
    expect(isDigest(EMPTY_TAR)).toBe(true);
    expect(isDigest('sha256:ABC')).toBe(false);
    expect(isDigest(`sha512:${'0'.repeat(64)}`)).toBe(false);
  });
});

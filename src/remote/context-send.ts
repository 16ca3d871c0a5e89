/**
 * A remote build's context, from this machine to the host's cache (issue 19): listed here
 * (.dockerignore applied, context-entries.ts), turned into a manifest whose unchanged files are not read again
 * (context-digests.ts), the host asked which files it lacks (which leases them all for this build),
 * only those read and sent (context-upload.ts). Says what it cost as one line of build output.
 */
import type { ContextListing } from '../runtime/docker/context-entries.js';
import type { BlobPiece, MissingAnswer } from './context-cache.js';
import { ContextDigests } from './context-digests.js';
import { manifestOf, type SentContext } from './context-manifest.js';
import { uploadFiles } from './context-upload.js';

/** How a build reaches the host and where it keeps its digests. */
export interface SendOptions {
  /** Whose last context this becomes there (`project/tag`). */
  key: string;
  /** This machine's state root. */
  digestsRoot: string;
  call<T>(method: string, args: unknown[]): Promise<T>;
  say(line: string): void;
  /** The clock a file's times are compared with (context-digests.ts). */
  now?: () => number;
}

/**
 * Sends what the host lacks of a listed folder (`dir`: whose digests are remembered), under its
 * own lease: a build naming several folders sends each this way, and a file one of them sent is
 * no longer missing for the next.
 */
export async function sendListing(listing: ContextListing, dir: string, o: SendOptions): Promise<SentContext> {
  const digests = ContextDigests.load(o.digestsRoot, dir, o.now);
  const { entries, sources } = await manifestOf(listing, digests);
  const { missing, lease } = await o.call<MissingAnswer>('contextMissing', [[...sources.keys()]]);
  const sent = await uploadFiles(missing, sources, (pieces: BlobPiece[]) => o.call('contextPut', [pieces]));
  digests.save();
  const { files, read, bytesRead } = digests.stats;
  o.say(`context: ${files} files, ${read} read here (${bytesRead} B), ${sent.files} sent (${sent.bytes} B)`);
  return { key: o.key, entries, lease };
}

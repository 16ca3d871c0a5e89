/**
 * What a build on a remote host sends over the channel besides its Dockerfile (issue 19): the main
 * context and each named folder context (`additional_contexts`) as a manifest with only the files
 * the host's cache lacks (context-cache.ts), the build secrets' values (read here, where `file:` and
 * `environment:` point; on the wire only inside the channel, held hidden there, context-build-end.ts),
 * and the SSH agents the RUN steps mount, each forwarded for the build's length (agent-forward.ts).
 */
import fs from 'node:fs';
import { RuntimeError } from '../errors.js';
import type { BuildSpec } from '../runtime/runtime.js';
import { hostTree, treeEntries } from '../runtime/copy/copy-entries.js';
import { packEntries } from '../runtime/copy/tar-entries.js';
import { manifestOf, type SentContext } from './context-manifest.js';
import { packContext } from './context-tar.js';

/** What the agent's `buildImage` takes after the spec and the main context. */
export interface BuildExtras {
  /** Named folder contexts by name; the spec names them `remote-context:NAME`. */
  named: Record<string, SentContext>;
  /** Secret values by id, base64. */
  secrets: Record<string, string>;
}

/** The prefix a named folder context has in the spec sent: the agent puts its own folder there. */
export const SENT_CONTEXT = 'remote-context:';

type Missing = (hashes: string[]) => Promise<string[]>;

/** A tar's manifest, and the blobs `missing` says the host lacks (but not those `sent` already holds). */
async function sendable(tarBytes: Buffer, key: string, missing: Missing, sent: Set<string>): Promise<SentContext> {
  const { entries, blobs } = await manifestOf(tarBytes);
  const lacking = (await missing([...blobs.keys()])).filter((h) => !sent.has(h));
  for (const h of lacking) sent.add(h);
  return { key, entries, blobs: Object.fromEntries(lacking.map((h) => [h, blobs.get(h)!.toString('base64')])) };
}

/** A folder as a tar, everything in it (a named context is read whole by the local builder too: no .dockerignore). */
async function folderTar(dir: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of packEntries(treeEntries(hostTree(dir), ''), '') as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * The spec as it is sent (Dockerfile renamed into the context, folder contexts and secrets
 * replaced by what the agent fills in), the main context (null for a URL context) and the extras.
 */
export async function buildPayload(spec: BuildSpec, key: string, missing: Missing): Promise<{ spec: BuildSpec; context: SentContext | null; extras: BuildExtras }> {
  const sent = new Set<string>();
  let wire: BuildSpec = spec;
  let context: SentContext | null = null;
  if (!spec.remoteContext) {
    const { tar, dockerfile } = await packContext(spec);
    context = await sendable(tar, key, missing, sent);
    const { dockerfileInline: _inline, ...rest } = spec;
    wire = { ...rest, dockerfile };
  }
  const extras: BuildExtras = { named: {}, secrets: {} };
  if (spec.namedContexts) {
    const namedContexts: Record<string, string> = {};
    for (const [name, value] of Object.entries(spec.namedContexts)) {
      if (value.startsWith('docker-image://')) {
        namedContexts[name] = value;
        continue;
      }
      if (!fs.statSync(value, { throwIfNoEntry: false })?.isDirectory()) throw new RuntimeError(`build context ${name}`, `${value} is not a directory`);
      extras.named[name] = await sendable(await folderTar(value), `${key}#${name}`, missing, sent);
      namedContexts[name] = `${SENT_CONTEXT}${name}`;
    }
    wire = { ...wire, namedContexts };
  }
  if (spec.secrets && spec.secrets.length > 0) {
    const { readSecret } = await import('../runtime/embedded/builder/run-settings.js');
    wire = {
      ...wire,
      secrets: spec.secrets.map(({ file: _file, env: _env, value: _value, ...keep }) => keep),
    };
    for (const s of spec.secrets) extras.secrets[s.id] = readSecret(s).toString('base64');
  }
  return { spec: wire, context, extras };
}

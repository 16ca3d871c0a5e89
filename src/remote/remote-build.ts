/**
 * What a build on a remote host sends over the channel besides its Dockerfile (issue 19): the main
 * context and each named folder context (`additional_contexts`) as a manifest with only the files
 * the host's cache lacks (context-send.ts, context-cache.ts), the build secrets' values (read here, where `file:` and
 * `environment:` point; on the wire only inside the channel, held hidden there, context-build-end.ts),
 * and the SSH agents the RUN steps mount, each forwarded for the build's length (agent-forward.ts).
 */
import fs from 'node:fs';
import { RuntimeError } from '../errors.js';
import { contextEntries, folderEntries } from '../runtime/docker/context-entries.js';
import type { BuildSpec } from '../runtime/runtime.js';
import type { SentContext } from './context-manifest.js';
import { sendListing, type SendOptions } from './context-send.js';

/** What the agent's `buildImage` takes after the spec and the main context. */
export interface BuildExtras {
  /** Named folder contexts by name; the spec names them `remote-context:NAME`. */
  named: Record<string, SentContext>;
  /** Secret values by id, base64. */
  secrets: Record<string, string>;
}

/** The prefix a named folder context has in the spec sent: the agent puts its own folder there. */
export const SENT_CONTEXT = 'remote-context:';

/**
 * The spec as it is sent (Dockerfile renamed into the context, folder contexts and secrets
 * replaced by what the agent fills in), the main context (null for a URL context) and the extras.
 */
export async function buildPayload(spec: BuildSpec, key: string, o: Omit<SendOptions, 'key'>): Promise<{ spec: BuildSpec; context: SentContext | null; extras: BuildExtras }> {
  let wire: BuildSpec = spec;
  let context: SentContext | null = null;
  if (!spec.remoteContext) {
    // Each folder is sent after the one before: a file one sent is no longer missing for the next.
    const listing = await contextEntries(spec.contextDir, spec.dockerfile, spec.dockerfileInline);
    context = await sendListing(listing, spec.contextDir, { ...o, key });
    const { dockerfileInline: _inline, ...rest } = spec;
    wire = { ...rest, dockerfile: listing.dockerfile };
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
      extras.named[name] = await sendListing(folderEntries(value), value, { ...o, key: `${key}#${name}`, say: (line) => o.say(line.replace(/^context/, `context ${name}`)) });
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

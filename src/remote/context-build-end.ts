/**
 * A build as the remote agent runs it (issue 19): from the context the CLI sent (its manifest,
 * .dockerignore applied there; the files this host's cache lacked came before, by contextPut), put together in a private
 * folder here, and likewise each named folder context; the build secrets' values, which came over
 * the channel, held hidden (Sensitive) in this process only, so the builder mounts them for the
 * steps that ask as it mounts a local secret and nothing here writes them anywhere else. The
 * folders go after the build; each context becomes its key's last one in the cache.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sensitive } from '../config/model.js';
import { StackError } from '../errors.js';
import type { BuildSpec, Runtime } from '../runtime/runtime.js';
import type { ContextCache } from './context-cache.js';
import type { SentContext } from './context-manifest.js';
import { SENT_CONTEXT, type BuildExtras } from './remote-build.js';

/** Builds `spec` from what the CLI sent; resolves with the runtime's answer. */
export async function buildFromSent(
  runtime: Runtime,
  spec: BuildSpec,
  context: SentContext | null,
  extras: BuildExtras | null,
  contexts: () => ContextCache,
  push: (item: unknown) => void,
  signal: AbortSignal,
): Promise<unknown> {
  const sent = [...(context ? [context] : []), ...Object.values(extras?.named ?? {})];
  const dirs: string[] = [];
  try {
    let built: BuildSpec = spec;
    if (sent.length > 0) {
      const cache = contexts();
      const { applyLayer } = await import('../runtime/embedded/layers/index.js');
      const unpack = async (c: SentContext): Promise<string> => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-context-'));
        dirs.push(dir);
        await applyLayer(cache.tarOf(c.entries), dir);
        return dir;
      };
      if (context) built = { ...built, contextDir: await unpack(context) };
      if (spec.namedContexts) {
        const named: Record<string, string> = {};
        for (const [name, value] of Object.entries(spec.namedContexts)) {
          const c = value.startsWith(SENT_CONTEXT) ? extras?.named[value.slice(SENT_CONTEXT.length)] : undefined;
          if (value.startsWith(SENT_CONTEXT) && !c) throw new StackError('E_REMOTE', `the build context "${name}" was not sent`, 1);
          named[name] = c ? await unpack(c) : value;
        }
        built = { ...built, namedContexts: named };
      }
    }
    if (spec.secrets) {
      built = {
        ...built,
        secrets: spec.secrets.map(({ file: _f, env: _e, value: _v, ...s }) => {
          const value = extras?.secrets[s.id];
          if (value === undefined) throw new StackError('E_REMOTE', `the build secret "${s.id}" was not sent`, 1);
          return { ...s, value: new Sensitive(value) };
        }),
      };
    }
    return await runtime.buildImage(built, (e) => push(e), signal);
  } finally {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    for (const c of sent) await contexts().remember(c);
  }
}

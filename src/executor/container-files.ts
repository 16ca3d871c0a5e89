/**
 * A service's `secrets:` and `configs:` as the files its containers get: each reference joined
 * with its top-level definition. Pure; the data of an environment source is passed on as the
 * Sensitive it was read into.
 */
import { Sensitive, type FileObject, type FileReference, type Service, type Stack } from '../config/model.js';
import type { ContainerFile } from '../runtime/runtime.js';

/** The secret and config files of `service`'s containers, secrets first. */
export function containerFiles(stack: Stack, service: Service): ContainerFile[] {
  return [
    ...service.secrets.map((r) => containerFile('secret', r, stack.secrets[r.source])),
    ...service.configs.map((r) => containerFile('config', r, stack.configs[r.source])),
  ];
}

function containerFile(kind: 'secret' | 'config', ref: FileReference, def: FileObject | undefined): ContainerFile {
  const what = `${kind} ${ref.source}`;
  const file: ContainerFile = { what, target: ref.target, source: sourceOf(what, def) };
  if (ref.uid !== undefined) file.uid = ref.uid;
  if (ref.gid !== undefined) file.gid = ref.gid;
  if (ref.mode !== undefined) file.mode = ref.mode;
  return file;
}

/** The planner refuses, before anything runs, what has no data here (external, unset variable). */
function sourceOf(what: string, def: FileObject | undefined): ContainerFile['source'] {
  if (def?.file !== undefined) return { kind: 'file', path: def.file };
  if (def?.value !== undefined) return { kind: 'data', data: def.value };
  if (def?.content !== undefined) return { kind: 'data', data: new Sensitive(def.content) };
  throw new Error(`${what} has no data here (external, or its environment variable is not set)`);
}

/**
 * A stack's `secrets:` and `configs:` as Swarm secrets and configs. Swarm never changes an
 * object's data (only its labels), so each is named for its content: `<project>_<key>_<hash8>`
 * (docker stack deploy's `<project>_<key>`, or the file's `name:`, plus eight hex digits of a
 * hash of the data). Changed data is a new object, a service update moves to it, and the old one
 * is retired once no service uses it. The hash is salted with the project and key, and only 32 bits
 * of it show, so the name gives nothing useful about a secret's value; the data itself is only
 * ever in the spec sent to the engine.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FileObject } from '../../config/model.js';
import { Label } from '../runtime.js';
import { projectLabels, scopedName } from './stack-names.js';

/** Which of the two kinds of Swarm file objects. */
export type SwarmObjectKind = 'secret' | 'config';

/** The label naming the stack key a secret or config was made for. */
export const OBJECT_KEY_LABEL: Record<SwarmObjectKind, string> = { secret: 'io.hafen.secret', config: 'io.hafen.config' };

/** The body of a create request for a Swarm secret or config (the Engine API's SecretSpec/ConfigSpec). */
export interface SwarmFileObjectSpec {
  Name: string;
  Labels: Record<string, string>;
  /** Base64 of the data, as the API takes it. */
  Data: string;
}

/** Swarm's limit on an object name's length. */
const MAX_NAME = 64;

/** The name of a non-external object before its content suffix: the file's `name:`, else `<project>_<key>`. */
function baseName(project: string, key: string, obj: FileObject): string {
  return obj.name !== key ? obj.name : scopedName(project, key);
}

/** Eight hex digits of a hash of the data, salted with the project, kind and key. */
export function contentTag(project: string, kind: SwarmObjectKind, key: string, data: Buffer): string {
  return createHash('sha256').update(`hafen swarm ${kind}\0${project}\0${key}\0`).update(data).digest('hex').slice(0, 8);
}

/** The name an object with this data gets: `<base>_<hash8>`, the base shortened to fit Swarm's 64 characters. */
export function swarmObjectName(project: string, kind: SwarmObjectKind, key: string, obj: FileObject, data: Buffer): string {
  const tag = contentTag(project, kind, key, data);
  return `${baseName(project, key, obj).slice(0, MAX_NAME - tag.length - 1)}_${tag}`;
}

/** The create request for a (non-external) secret or config with its data. Pure. */
export function swarmFileObjectSpec(project: string, kind: SwarmObjectKind, key: string, obj: FileObject, data: Buffer): SwarmFileObjectSpec {
  return {
    Name: swarmObjectName(project, kind, key, obj, data),
    Labels: { ...projectLabels(project, obj.labels), [OBJECT_KEY_LABEL[kind]]: key },
    Data: data.toString('base64'),
  };
}

/**
 * The data of a secret or config: its file's bytes, its `environment:` variable's value or its
 * `content:`. External objects have none here (they already live in the swarm, under `obj.name`).
 */
export async function fileObjectData(obj: FileObject): Promise<Buffer> {
  if (obj.file !== undefined) return readFile(obj.file);
  if (obj.value !== undefined) return Buffer.from(obj.value.reveal(), 'utf8');
  if (obj.content !== undefined) return Buffer.from(obj.content, 'utf8');
  // The planner refuses an unset variable (swarm-support.ts) and external objects are not created.
  throw new Error(`internal: no data for ${obj.external ? 'the external object' : 'the object'} "${obj.name}"`);
}

/** What the engine lists of a secret or config (dockerode's Secret/Config, reduced to what is read here). */
export interface ListedObject {
  ID: string;
  Spec?: { Name?: string; Labels?: Record<string, string> };
}

/**
 * The project's objects of `kind` an update leaves behind: made for this project (by label) but
 * not among `current` (the names the new specs use). Remove them after the services moved off
 * them; Swarm refuses to remove one still in use.
 */
export function retiredObjects(listed: readonly ListedObject[], project: string, kind: SwarmObjectKind, current: ReadonlySet<string>): ListedObject[] {
  return listed.filter((o) => o.Spec?.Labels?.[Label.project] === project && o.Spec.Labels[OBJECT_KEY_LABEL[kind]] !== undefined && !current.has(o.Spec.Name ?? ''));
}

/**
 * `RUN --mount=type=secret,...` and `type=ssh` as BuildKit reads them (a CSV list of `key=value`
 * fields, its defaults and messages). The other mount types (bind, cache, tmpfs) are refused by
 * name: hafen's builder does not have them.
 */
import { InstructionError } from './instruction-error.js';

/** A secret for one RUN: the file at `target`, read from the build's secret `id`; never part of the layer. */
export interface SecretMount {
  type: 'secret';
  id: string;
  /** Absolute path inside the container; default `/run/secrets/<id>`; undefined with `env` alone (no file, as BuildKit). */
  target: string | undefined;
  /** `env=NAME`: the value is also (or, without a target, only) the variable NAME of the command. */
  env?: string;
  /** A missing secret fails the step instead of leaving the file out. */
  required: boolean;
  /** Given in the Dockerfile (BuildKit's defaults: 0400, 0, 0); else the build's own defaults apply. */
  mode?: number;
  uid?: number;
  gid?: number;
}

/** An SSH agent socket for one RUN (parsed so the builder can say it cannot give it). */
export interface SshMount {
  type: 'ssh';
  id: string;
  target?: string;
  required: boolean;
}

export type RunMount = SecretMount | SshMount;

const KEYS = new Set(['type', 'id', 'target', 'dst', 'destination', 'source', 'src', 'from', 'required', 'mode', 'uid', 'gid', 'env', 'readonly', 'ro', 'rw', 'readwrite', 'sharing', 'size']);
const TYPES = new Set(['bind', 'cache', 'tmpfs', 'secret', 'ssh']);

/** Parses one `--mount` value; throws InstructionError with BuildKit's wording (or hafen's, for what it lacks). */
export function parseRunMount(value: string): RunMount {
  const fields = new Map<string, string | undefined>();
  for (const field of splitCsv(value)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (!KEYS.has(key)) throw new InstructionError(`unexpected key '${key}' in '${field}'`);
    fields.set(key, eq < 0 ? undefined : field.slice(eq + 1));
  }
  const type = (fields.get('type') ?? 'bind').toLowerCase();
  if (!TYPES.has(type)) throw new InstructionError(`unsupported mount type "${type}"`);
  if (type !== 'secret' && type !== 'ssh') {
    throw new InstructionError(`--mount=type=${type}: ${type} mounts in RUN are not supported by hafen builds (secret mounts are)`);
  }
  if (fields.has('from') || fields.has('source') || fields.has('src')) throw new InstructionError(`${type} mount should not have a source or from`);
  const target = fields.get('target') ?? fields.get('dst') ?? fields.get('destination');
  const required = bool(fields, 'required');
  if (type === 'ssh') return { type, id: fields.get('id') || 'default', ...(target ? { target } : {}), required };
  // env=NAME: the launcher reads the environment from a pipe, so the value is on no command line.
  const env = fields.get('env');
  if (env !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(env)) throw new InstructionError(`invalid env "${env}" for the secret mount (expected a variable name)`);
  const id = fields.get('id') || (target ? basename(target) : undefined);
  if (!id) throw new InstructionError('invalid secret mount: id or target is required');
  const file = target ?? (env === undefined ? `/run/secrets/${id}` : undefined);
  const mount: SecretMount = { type, id, target: file === undefined || file.startsWith('/') ? file : `/${file}`, required, ...(env !== undefined ? { env } : {}) };
  const mode = fields.get('mode');
  if (mode !== undefined) {
    if (!/^[0-7]{1,4}$/.test(mode)) throw new InstructionError(`invalid mode "${mode}" for the secret mount (expected octal, e.g. 0400)`);
    mount.mode = parseInt(mode, 8);
  }
  for (const key of ['uid', 'gid'] as const) {
    const v = fields.get(key);
    if (v === undefined) continue;
    if (!/^\d+$/.test(v)) throw new InstructionError(`invalid ${key} "${v}" for the secret mount (expected a number)`);
    mount[key] = Number(v);
  }
  return mount;
}

function bool(fields: Map<string, string | undefined>, key: string): boolean {
  if (!fields.has(key)) return false;
  const v = fields.get(key);
  if (v === undefined || v.toLowerCase() === 'true') return true;
  if (v.toLowerCase() === 'false') return false;
  throw new InstructionError(`invalid value for ${key}: ${v}`);
}

function basename(p: string): string {
  return p.split('/').filter(Boolean).at(-1) ?? '';
}

/** Splits a CSV record as Go's encoding/csv does for one line: commas separate, double quotes group (`""` is a quote). */
function splitCsv(text: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  if (quoted) throw new InstructionError(`extraneous or missing " in quoted-field: ${text}`);
  out.push(field);
  return out.filter((f) => f !== '');
}

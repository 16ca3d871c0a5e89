/**
 * Validates the plain tree against schemas/stack.schema.json and turns each ajv error into an
 * issue at the YAML position of the key (unknown keys) or value (everything else).
 */
import type { ConfigIssue } from '../errors.js';
import { checkSchema, type SchemaError, type SchemaObject } from './schema-check.js';
// Embedded by scripts/compile-schema.mjs; walked by schema-check.ts (a compiled validator cost ~50 ms of start-up to load).
import { STACK_SCHEMA_JSON } from './stack-schema.generated.js';
import { formatPath, type PathSegment, type StackSourceMap } from './source-map.js';
import { didYouMean } from './suggest.js';

/** The parts of a (sub)schema that messages use. */
interface SchemaInfo {
  title?: string;
  pattern?: string;
  examples?: unknown[];
  properties?: Record<string, unknown>;
  /** For a limited name, `At most N characters: why` (see the project_name and service_name definitions). */
  description?: string;
}

/** Compose keys hafen knows but does not run, by where they appear: an unknown key there says so. */
const COMPOSE_ONLY: Record<string, readonly string[]> = {
  top: ['models'],
  service: [
    'cgroup', 'cpu_rt_period', 'cpu_rt_runtime', 'credential_spec', 'develop',
    'gpus', 'isolation', 'label_file', 'models', 'oom_kill_disable',
    'post_start', 'pre_stop', 'provider', 'use_api_socket', 'volume_driver',
  ],
  build: ['no_cache_filter', 'provenance', 'sbom'],
  network: [],
  volume: [],
};

let schema: SchemaObject | undefined;

/** schemas/stack.schema.json, parsed on first use. */
function stackSchema(): SchemaObject {
  return (schema ??= JSON.parse(STACK_SCHEMA_JSON) as SchemaObject);
}

/** Every schema violation in the tree, as issues pinned to positions (unsorted). */
export function validateTree(value: unknown, source: StackSourceMap): ConfigIssue[] {
  const found = checkSchema(stackSchema(), value);
  if (found.length === 0) return [];
  // "missing key" last: at the same position, a misspelt key explains it better (`servics:` → services).
  const errors = [...found].sort((a, b) => Number(a.keyword === 'required') - Number(b.keyword === 'required'));
  return errors.flatMap((err) => {
    const issue = toIssue(err, value, source);
    return issue ? [issue] : [];
  });
}

function toIssue(err: SchemaError, root: unknown, source: StackSourceMap): ConfigIssue | undefined {
  const at = pointerToPath(err.instancePath, root);
  const path = formatPath(at);
  const info = (err.parentSchema ?? {}) as SchemaInfo;
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      return source.keyIssue(formatPath([...at, key]), unknownKey(key, at, Object.keys(info.properties ?? {})));
    }
    case 'propertyNames':
      return undefined; // its `pattern` error names the key
    case 'pattern':
      if (err.propertyName !== undefined) {
        return source.keyIssue(formatPath([...at, err.propertyName]), `expected ${info.title ?? 'a valid name'}, got ${JSON.stringify(err.propertyName)}`);
      }
      return source.valueIssue(path, `expected ${info.title ?? `a value matching ${info.pattern}`}, got ${show(err.data)}${closeTo(err.data, info.examples)}`);
    case 'type':
      return source.valueIssue(path, `expected ${info.title ?? typeWords(params.type)}, got ${kindOf(err.data)}`);
    case 'required':
      return source.valueIssue(path, `missing required key "${String(params.missingProperty)}"`);
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const expected = allowed.length === 1 ? `"${allowed[0]}"` : `one of ${allowed.join(', ')}`;
      return source.valueIssue(path, `expected ${expected}, got ${show(err.data)}${closeTo(err.data, allowed)}`);
    }
    case 'minimum':
      return source.valueIssue(path, `must be at least ${String(params.limit)}, got ${show(err.data)}`);
    case 'maximum':
      return source.valueIssue(path, `must be at most ${String(params.limit)}, got ${show(err.data)}`);
    case 'exclusiveMinimum':
      return source.valueIssue(path, `must be more than ${String(params.limit)}, got ${show(err.data)}`);
    case 'minLength':
      return source.valueIssue(path, 'must not be empty');
    // Names limited by what they become (paths, host names, other names): the schema says why.
    case 'maxLength': {
      const why = info.description?.startsWith('At most') ? `: ${info.description.replace(/^At most \d+ characters: /, '')}` : '';
      const length = String(err.propertyName ?? err.data).length;
      const message = `the name is ${length} characters long, more than ${String(params.limit)}${why}`;
      return err.propertyName !== undefined ? source.keyIssue(formatPath([...at, err.propertyName]), message) : source.valueIssue(path, message);
    }
    case 'maxItems':
      return source.valueIssue(path, `must have at most ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`);
    default:
      return source.valueIssue(path, err.message ?? `fails the schema's ${err.keyword} rule`);
  }
}

function unknownKey(key: string, at: PathSegment[], known: string[]): string {
  const context = contextOf(at);
  if (context && COMPOSE_ONLY[context]?.includes(key)) return `"${key}" is a Compose key that hafen does not support`;
  const hint = didYouMean(key, known);
  if (hint) return `unknown key "${key}"${hint}`;
  const list = known.length > 0 && known.length <= 8 ? `; expected one of ${known.join(', ')}` : '';
  return `unknown key "${key}"${list} (keys starting with x- are free for your own use)`;
}

/** Which kind of mapping a path is, for the COMPOSE_ONLY table. */
function contextOf(at: PathSegment[]): string | undefined {
  const [top, , sub] = at;
  if (at.length === 0) return 'top';
  if (top === 'services' && at.length === 2) return 'service';
  if (top === 'services' && at.length === 3 && (sub === 'build' || sub === 'deploy')) return sub;
  if ((top === 'networks' || top === 'volumes') && at.length === 2) return top.slice(0, -1);
  return undefined;
}

/** A JSON pointer from ajv as path segments; array indices become numbers (shown as `[0]`). */
function pointerToPath(pointer: string, root: unknown): PathSegment[] {
  if (pointer === '') return [];
  const out: PathSegment[] = [];
  let node = root;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const isIndex = Array.isArray(node);
    out.push(isIndex ? Number(seg) : seg);
    node = (node as Record<string, unknown> | undefined)?.[seg];
  }
  return out;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'nothing',
};

function typeWords(type: unknown): string {
  const words = (Array.isArray(type) ? type : [type]).map((t) => TYPE_WORDS[String(t)] ?? String(t));
  return words.length <= 1 ? (words[0] ?? 'something else') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** What a value is, for "expected X, got Y". */
function kindOf(data: unknown): string {
  if (data === null || data === undefined) return 'nothing';
  if (Array.isArray(data)) return 'a list';
  if (typeof data === 'object') return 'a mapping';
  if (typeof data === 'string') return `a string (${show(data)})`;
  if (typeof data === 'number') return `the number ${data}`;
  return String(data);
}

/** A value as it is quoted in messages. */
function show(data: unknown): string {
  if (typeof data === 'string') return JSON.stringify(data.length > 60 ? `${data.slice(0, 57)}...` : data);
  if (data === null || data === undefined) return 'nothing';
  if (typeof data === 'object') return Array.isArray(data) ? 'a list' : 'a mapping';
  return String(data);
}

function closeTo(data: unknown, candidates: unknown[] | undefined): string {
  if (typeof data !== 'string' || !candidates) return '';
  return didYouMean(data, candidates.map(String));
}

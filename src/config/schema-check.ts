/**
 * Checks a value against schemas/stack.schema.json by walking the schema (issue 16: start-up). ajv's
 * precompiled validator for this schema was 445 KB of code that every command parsed and compiled
 * before it could read a stack file; this walk is a few KB and the schema is data (JSON.parse).
 *
 * It reports what ajv reports with `allErrors: true, verbose: true, strict: true` for the keywords
 * the schema uses, in ajv's order (schema-check.test.ts holds it to ajv itself, error for error):
 *  - at each schema object: `$ref` alone replaces the rest; else a `type` check up front, unless
 *    the schema has one type and keywords for it (then the type error comes where those keywords
 *    run); then `$ref` and `enum`; then number, string, array and object keywords, each group only
 *    when the value has its type;
 *  - object keywords in ajv's order: required, propertyNames, additionalProperties, properties,
 *    patternProperties; keys in JavaScript's own order (`for…in`);
 *  - numbers are finite (strictNumbers), patterns are `u` regular expressions, lengths count code points.
 * A schema keyword this walk does not know is an error (unsupportedKeywords), never ignored.
 */

/** A JSON Schema (draft-07) as far as the stack schema uses it. */
export type Schema = boolean | SchemaObject;

/** A schema object; keywords this walk does not know make unsupportedKeywords() name them. */
export interface SchemaObject {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  maximum?: number;
  minimum?: number;
  exclusiveMaximum?: number;
  exclusiveMinimum?: number;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  maxItems?: number;
  minItems?: number;
  items?: Schema;
  required?: string[];
  propertyNames?: Schema;
  additionalProperties?: Schema;
  properties?: Record<string, Schema>;
  patternProperties?: Record<string, Schema>;
  definitions?: Record<string, Schema>;
  [annotation: string]: unknown;
}

/** One violation, with the fields of ajv's ErrorObject (verbose) that messages use. */
export interface SchemaError {
  /** JSON pointer to the value (`/services/web/ports/0`); the object's own for key errors. */
  instancePath: string;
  /** `#/definitions/service/properties/ports/type`: where in the schema the rule is. */
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message: string;
  /** The keyword's value in the schema. */
  schema: unknown;
  /** The schema object holding the keyword (its title, pattern, examples, properties, description). */
  parentSchema: SchemaObject | boolean;
  /** The value checked (the key itself under propertyNames). */
  data: unknown;
  /** Under propertyNames: the key that failed. */
  propertyName?: string;
}

/** Keywords that only describe (no rule). */
const ANNOTATIONS = new Set(['$schema', '$id', '$comment', 'title', 'description', 'examples', 'default', 'definitions', 'deprecated', 'readOnly', 'writeOnly']);

/** Keywords with rules, by the group they run in (ajv's order, lib/compile/rules.ts and its vocabularies). */
const UNTYPED = ['$ref', 'enum'] as const;
const GROUPS = {
  number: ['maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum'],
  string: ['maxLength', 'minLength', 'pattern'],
  array: ['maxItems', 'minItems', 'items'],
  object: ['required', 'propertyNames', 'additionalProperties', 'properties', 'patternProperties'],
} as const;
type Group = keyof typeof GROUPS;
const GROUP_NAMES = Object.keys(GROUPS) as Group[];
const KNOWN = new Set<string>([...ANNOTATIONS, 'type', ...UNTYPED, ...Object.values(GROUPS).flat()]);

/** The rule keywords of `schema` (and every schema inside it) this walk does not implement, as `path: keyword`. */
export function unsupportedKeywords(schema: Schema, at = '#'): string[] {
  if (typeof schema === 'boolean') return [];
  const out = Object.keys(schema).filter((k) => !KNOWN.has(k)).map((k) => `${at}: ${k}`);
  for (const key of ['properties', 'patternProperties', 'definitions'] as const) {
    for (const [name, sub] of Object.entries(schema[key] ?? {})) out.push(...unsupportedKeywords(sub, `${at}/${key}/${name}`));
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames'] as const) {
    const sub = schema[key];
    if (Array.isArray(sub)) out.push(`${at}: ${key} as a list`);
    else if (sub !== undefined) out.push(...unsupportedKeywords(sub, `${at}/${key}`));
  }
  return out;
}

const patterns = new Map<string, RegExp>();

function regExp(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) patterns.set(pattern, (re = new RegExp(pattern, 'u')));
  return re;
}

/** Characters as JSON Schema counts them: a surrogate pair is one. */
function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++, n++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
  }
  return n;
}

function isType(type: string, data: unknown): boolean {
  switch (type) {
    case 'number':
      return typeof data === 'number' && Number.isFinite(data);
    case 'integer':
      return Number.isInteger(data);
    case 'object':
      return typeof data === 'object' && data !== null && !Array.isArray(data);
    case 'array':
      return Array.isArray(data);
    case 'null':
      return data === null;
    default:
      return typeof data === type;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A JSON pointer segment (RFC 6901). */
function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A schema path segment as ajv writes it (a URI fragment). */
function fragmentSegment(key: string): string {
  return encodeURIComponent(pointerSegment(key));
}

const refScan = new WeakMap<object, boolean>();

/** Whether a schema holds a `$ref` anywhere inside. */
function hasRef(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  let found = refScan.get(schema);
  if (found === undefined) {
    found = Object.entries(schema).some(([k, v]) => k === '$ref' || hasRef(v));
    refScan.set(schema, found);
  }
  return found;
}

/** Where a check is: the value, its path, the schema's path, the key under propertyNames. */
interface At {
  data: unknown;
  instancePath: string;
  schemaPath: string;
  propertyName: string | undefined;
}

/** Walks one schema against one value, collecting errors in ajv's order. */
class Walk {
  readonly errors: SchemaError[] = [];

  constructor(private readonly root: SchemaObject) {}

  check(schema: Schema, at: At): void {
    if (schema === true) return;
    if (schema === false) {
      this.fail(at, false, 'false schema', false, {}, 'boolean schema is false', '');
      return;
    }
    const rules = Object.keys(schema).filter((k) => !ANNOTATIONS.has(k));
    if (schema.$ref !== undefined && rules.length === 1) {
      this.ref(schema, at);
      return;
    }
    const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
    const used = (group: Group): boolean => GROUPS[group].some((k) => schema[k] !== undefined);
    // One type with keywords of its own: its type error comes where those keywords run.
    const deferred = types.length === 1 && (GROUP_NAMES as string[]).includes(types[0]!) && used(types[0] as Group) ? types[0] : undefined;
    if (types.length > 0 && deferred === undefined && !types.some((t) => isType(t, at.data))) this.typeError(schema, at);
    if (schema.$ref !== undefined) this.ref(schema, at);
    if (schema.enum !== undefined) this.enum(schema, schema.enum, at);
    for (const group of GROUP_NAMES) {
      if (!used(group)) continue;
      if (isType(group, at.data)) this.group(group, schema, at);
      else if (deferred === group) this.typeError(schema, at);
    }
  }

  private fail(at: At, parentSchema: SchemaObject | boolean, keyword: string, schema: unknown, params: Record<string, unknown>, message: string, path = `/${keyword}`): void {
    this.errors.push({
      instancePath: at.instancePath,
      schemaPath: `${at.schemaPath}${path}`,
      keyword,
      params,
      message,
      schema,
      parentSchema,
      data: at.data,
      ...(at.propertyName !== undefined ? { propertyName: at.propertyName } : {}),
    });
  }

  private typeError(schema: SchemaObject, at: At): void {
    this.fail(at, schema, 'type', schema.type, { type: schema.type }, `must be ${String(schema.type)}`);
  }

  private ref(schema: SchemaObject, at: At): void {
    const ref = schema.$ref!;
    if (!ref.startsWith('#/')) throw new Error(`schema-check: only local references are supported, not ${ref}`);
    let target: unknown = this.root;
    for (const raw of ref.slice(2).split('/')) target = (target as Record<string, unknown> | undefined)?.[decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')];
    if (target === undefined) throw new Error(`schema-check: ${ref} names nothing in the schema`);
    // ajv inlines a target without references of its own (its paths go on from the $ref) and
    // calls the others as functions of their own (their paths start again at #).
    this.check(target as Schema, { ...at, schemaPath: hasRef(target) ? '#' : ref });
  }

  private enum(schema: SchemaObject, allowed: unknown[], at: At): void {
    const ok = allowed.some((v) => (typeof v === 'object' && v !== null ? deepEqual(at.data, v) : at.data === v));
    if (!ok) this.fail(at, schema, 'enum', allowed, { allowedValues: allowed }, 'must be equal to one of the allowed values');
  }

  private sub(schema: Schema, at: At, schemaPath: string, key?: string | number): void {
    if (key === undefined) {
      this.check(schema, { ...at, schemaPath });
      return;
    }
    const data = (at.data as Record<string | number, unknown>)[key];
    this.check(schema, { data, instancePath: `${at.instancePath}/${typeof key === 'number' ? key : pointerSegment(key)}`, schemaPath, propertyName: at.propertyName });
  }

  private group(group: Group, schema: SchemaObject, at: At): void {
    switch (group) {
      case 'number':
        return this.numberKeywords(schema, at.data as number, at);
      case 'string':
        return this.stringKeywords(schema, at.data as string, at);
      case 'array':
        return this.arrayKeywords(schema, at.data as unknown[], at);
      case 'object':
        return this.objectKeywords(schema, at.data as Record<string, unknown>, at);
      default: {
        const never: never = group;
        throw new Error(`schema-check: no group ${String(never)}`);
      }
    }
  }

  private numberKeywords(schema: SchemaObject, n: number, at: At): void {
    const limits = [
      ['maximum', '<=', (l: number) => n > l],
      ['minimum', '>=', (l: number) => n < l],
      ['exclusiveMaximum', '<', (l: number) => n >= l],
      ['exclusiveMinimum', '>', (l: number) => n <= l],
    ] as const;
    for (const [keyword, comparison, fails] of limits) {
      const limit = schema[keyword];
      if (limit !== undefined && fails(limit)) this.fail(at, schema, keyword, limit, { comparison, limit }, `must be ${comparison} ${limit}`);
    }
  }

  private stringKeywords(schema: SchemaObject, text: string, at: At): void {
    if (schema.maxLength !== undefined && codePoints(text) > schema.maxLength) {
      this.fail(at, schema, 'maxLength', schema.maxLength, { limit: schema.maxLength }, `must NOT have more than ${schema.maxLength} characters`);
    }
    if (schema.minLength !== undefined && codePoints(text) < schema.minLength) {
      this.fail(at, schema, 'minLength', schema.minLength, { limit: schema.minLength }, `must NOT have fewer than ${schema.minLength} characters`);
    }
    if (schema.pattern !== undefined && !regExp(schema.pattern).test(text)) {
      this.fail(at, schema, 'pattern', schema.pattern, { pattern: schema.pattern }, `must match pattern "${schema.pattern}"`);
    }
  }

  private arrayKeywords(schema: SchemaObject, list: unknown[], at: At): void {
    if (schema.maxItems !== undefined && list.length > schema.maxItems) {
      this.fail(at, schema, 'maxItems', schema.maxItems, { limit: schema.maxItems }, `must NOT have more than ${schema.maxItems} items`);
    }
    if (schema.minItems !== undefined && list.length < schema.minItems) {
      this.fail(at, schema, 'minItems', schema.minItems, { limit: schema.minItems }, `must NOT have fewer than ${schema.minItems} items`);
    }
    if (schema.items !== undefined) for (let i = 0; i < list.length; i++) this.sub(schema.items, at, `${at.schemaPath}/items`, i);
  }

  private objectKeywords(schema: SchemaObject, object: Record<string, unknown>, at: At): void {
    for (const name of schema.required ?? []) {
      if (object[name] === undefined) this.fail(at, schema, 'required', schema.required, { missingProperty: name }, `must have required property '${name}'`);
    }
    if (schema.propertyNames !== undefined) {
      for (const key in object) {
        const before = this.errors.length;
        this.check(schema.propertyNames, { data: key, instancePath: at.instancePath, schemaPath: `${at.schemaPath}/propertyNames`, propertyName: key });
        if (this.errors.length > before) this.fail(at, schema, 'propertyNames', schema.propertyNames, { propertyName: key }, 'property name must be valid');
      }
    }
    const extra = schema.additionalProperties;
    if (extra !== undefined && extra !== true) {
      const named = schema.properties ?? {};
      const patternList = Object.keys(schema.patternProperties ?? {});
      for (const key in object) {
        if (Object.prototype.hasOwnProperty.call(named, key) || patternList.some((p) => regExp(p).test(key))) continue;
        if (extra === false) this.fail(at, schema, 'additionalProperties', false, { additionalProperty: key }, 'must NOT have additional properties');
        else this.sub(extra, at, `${at.schemaPath}/additionalProperties`, key);
      }
    }
    for (const [name, sub] of Object.entries(schema.properties ?? {})) {
      if (object[name] !== undefined) this.sub(sub, at, `${at.schemaPath}/properties/${fragmentSegment(name)}`, name);
    }
    for (const [pattern, sub] of Object.entries(schema.patternProperties ?? {})) {
      for (const key in object) if (regExp(pattern).test(key)) this.sub(sub, at, `${at.schemaPath}/patternProperties/${fragmentSegment(pattern)}`, key);
    }
  }
}

/** Every violation of `schema` by `data`, in ajv's order (none: the value is valid). */
export function checkSchema(schema: SchemaObject, data: unknown): SchemaError[] {
  const walk = new Walk(schema);
  walk.check(schema, { data, instancePath: '', schemaPath: '#', propertyName: undefined });
  return walk.errors;
}

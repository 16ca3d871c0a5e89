/**
 * schema-check.ts against ajv itself (compiled here with the options hafen used to ship its
 * precompiled validator with): the same errors, field for field and in the same order, for every
 * stack file of the repository and thousands of values made from them and from the schema.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
// @ts-expect-error: a plain ES module script without types
import { AJV_OPTIONS, schemaFile } from '../../scripts/compile-schema.mjs';
import { checkSchema, type Schema, type SchemaObject } from './schema-check.js';

const schema = JSON.parse(fs.readFileSync(schemaFile as string, 'utf8')) as SchemaObject;
const ajvValidate = new Ajv(AJV_OPTIONS as object).compile(schema);
const repo = path.resolve(import.meta.dirname, '../..');

/** ajv's errors, as plain objects with the fields schema-check.ts gives. */
function ajvErrors(value: unknown): unknown[] {
  if (ajvValidate(value)) return [];
  return (ajvValidate.errors ?? []).map((e) => ({ ...e }));
}

function same(value: unknown): void {
  const ours = checkSchema(schema, value).map((e) => ({ ...e }));
  expect(ours).toEqual(ajvErrors(value));
}

/** Every stack file of the repository (fixtures, examples, the example stack), each document. */
function repositoryTrees(): unknown[] {
  const out: unknown[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.ya?ml$/.test(entry.name)) {
        for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
          if (!('errors' in doc) || doc.errors.length > 0) continue;
          try {
            out.push(doc.toJS());
          } catch {
            // a fixture of a refused file (an alias bomb): nothing to compare
          }
        }
      }
    }
  };
  walk(repo);
  return out;
}

/** A small deterministic random source (mulberry32), so a failure repeats. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_VALUES: unknown[] = [
  null, true, false, 0, -1, 1, 1.5, 65535, 65536, 1e12, Infinity, NaN, '', 'x', 'web', '10s', '256m', 'a/b', '~', '💥💥', 'A'.repeat(300),
  '80:80', '127.0.0.1::8080', 'always', 'service_healthy', [], [1, 'a'], ['CMD', 'true'], {}, { 'x-a': 1 }, { 'bad key': 1 }, { image: 'host' },
];
const PLAIN_STRINGS = ['web', 'x', '10s', '256m', '80', '80:80', '/data', './dir', 'a=b', 'SIGTERM', 'host', 'always', 'tcp', '1', '0.5', 'CMD', 'rw', '1000:1000'];
const ODD_KEYS = ['x-free', 'bad key', 'Upper', 'a'.repeat(70), 'image', 'ports', 'build', 'services', 'constructor', 'toString', '0', 'a~b/c', 'models', 'cgroup'];

/** A value shaped by `s`, `depth` levels at most; `odd` is how likely each part is made wrong on purpose. */
function fromSchema(s: Schema, rnd: () => number, depth: number, odd: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  if (typeof s === 'boolean' || depth <= 0 || rnd() < odd) return pick(ODD_VALUES);
  if (s.$ref) return fromSchema(resolve(s.$ref), rnd, depth, odd);
  if (s.enum && rnd() >= odd) return pick(s.enum);
  const types = s.type === undefined ? ['object'] : Array.isArray(s.type) ? s.type : [s.type];
  switch (pick(types)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, sub] of Object.entries(s.properties ?? {})) if (s.required?.includes(k) || rnd() < 0.3) out[k] = fromSchema(sub, rnd, depth - 1, odd);
      for (const [p, sub] of Object.entries(s.patternProperties ?? {})) if (rnd() < 0.5) out[rnd() >= odd ? pick(['web', 'db']) : pick(['x-a', 'a.b', 'a b', 'A'])] = fromSchema(sub, rnd, depth - 1, odd);
      if (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean' && rnd() < 0.5) out[rnd() >= odd ? pick(['web', 'db']) : pick(ODD_KEYS)] = fromSchema(s.additionalProperties, rnd, depth - 1, odd);
      if (rnd() < odd) out[pick(ODD_KEYS)] = pick(ODD_VALUES);
      for (const k of s.required ?? []) if (rnd() < odd) delete out[k];
      return out;
    }
    case 'array':
      return Array.from({ length: Math.floor(rnd() * 3) }, () => (s.items ? fromSchema(s.items, rnd, depth - 1, odd) : pick(ODD_VALUES)));
    case 'string': {
      if (rnd() < odd) return pick(ODD_VALUES.filter((v) => typeof v === 'string'));
      if (s.examples) return pick(s.examples as unknown[]);
      const fits = PLAIN_STRINGS.filter((t) => !s.pattern || new RegExp(s.pattern, 'u').test(t));
      return pick(fits.length > 0 ? fits : PLAIN_STRINGS);
    }
    case 'integer':
    case 'number':
      return rnd() >= odd ? (s.minimum ?? s.exclusiveMinimum ?? 0) + 1 : pick([s.minimum, s.maximum, (s.minimum ?? 0) - 1, (s.maximum ?? 0) + 1, 2.5, -3].filter((v) => v !== undefined));
    default:
      return pick(ODD_VALUES);
  }
}

function resolve(ref: string): Schema {
  return ref.slice(2).split('/').reduce<unknown>((node, seg) => (node as Record<string, unknown>)[seg], schema) as Schema;
}

/** Paths to every value inside `tree`. */
function paths(tree: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(tree)) tree.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (tree && typeof tree === 'object') for (const [k, v] of Object.entries(tree)) out.push(...paths(v, [...at, k]));
  return out;
}

/** `tree` with one change at a random place: a value replaced, a key added or removed. */
function mutate(tree: unknown, rnd: () => number): unknown {
  const copy = structuredClone(tree);
  const all = paths(copy);
  const target = all[Math.floor(rnd() * all.length)]!;
  if (target.length === 0) return rnd() < 0.5 ? ODD_VALUES[Math.floor(rnd() * ODD_VALUES.length)] : copy;
  const parent = target.slice(0, -1).reduce<unknown>((node, seg) => (node as Record<string | number, unknown>)[seg], copy) as Record<string | number, unknown>;
  const key = target.at(-1)!;
  const r = rnd();
  if (r < 0.6) parent[key] = ODD_VALUES[Math.floor(rnd() * ODD_VALUES.length)];
  else if (r < 0.8 && !Array.isArray(parent)) delete parent[key];
  else if (!Array.isArray(parent)) parent[ODD_KEYS[Math.floor(rnd() * ODD_KEYS.length)]!] = ODD_VALUES[Math.floor(rnd() * ODD_VALUES.length)];
  return copy;
}

describe('schema-check.ts reports what ajv reports', () => {
  const trees = repositoryTrees();

  it('on every stack file of the repository', () => {
    expect(trees.length).toBeGreaterThan(50);
    for (const tree of trees) same(tree);
  });

  it('on values changed in one place from those files', () => {
    const rnd = random(16);
    for (const tree of trees) for (let i = 0; i < 20; i++) same(mutate(tree, rnd));
  });

  it('on values made from the schema itself', () => {
    const rnd = random(17);
    let invalid = 0;
    for (let i = 0; i < 3000; i++) {
      const value = fromSchema(schema, rnd, 7, i % 2 === 0 ? 0 : 0.03);
      same(value);
      if (!ajvValidate(value)) invalid++;
    }
    // Both kinds are tried: valid values (no false errors) and invalid ones. The generator knows
    // no oneOf/anyOf, so as the schema grows (Swarm's deploy keys) fewer of its values are valid.
    expect(invalid).toBeGreaterThan(300);
    expect(3000 - invalid, 'valid values tried').toBeGreaterThan(150);
  });

  it('on odd values at the top', () => {
    for (const value of ODD_VALUES) same(value);
  });
});

/**
 * Turns a parsed YAML document into a tree of positioned nodes (node-tree.ts: what merging
 * several files works on) or straight into plain values and a source map (`toTree`). Applies `<<`
 * merge keys as Compose does, resolves aliases, reports duplicate keys, notes Compose's `!reset` and
 * `!override` tags, and rewrites string scalars through a hook (interpolation) so that rewritten
 * values keep their positions.
 */
import { isAlias, isMap, isScalar, isSeq, Scalar, visit, type Alias, type Node, type Pair, type YAMLMap } from 'yaml';
import { ConfigError, formatIssue, type ConfigIssue } from '../errors.js';
import { decimalModeWarning } from './file-mode.js';
import { flatten, mapNode, scalarNode, type Loc, type MapNode, type TreeNode } from './node-tree.js';
import type { ParsedYaml } from './parse-yaml.js';
import { StackSourceMap, type Pos } from './source-map.js';
import { ValueShapes, type ValueShape } from './text-values.js';
import { composeText, readPlainScalar } from './yaml-scalar.js';

/**
 * Values that aliases and merges may add beyond what the file itself holds; past this the file is
 * refused. yaml's alias count stops exponential bombs; this stops quadratic ones (a big anchor
 * used many times), which it cannot see.
 */
export const MAX_ALIAS_EXPANSION = 100_000;
/** Deeper nesting than this is refused rather than risking the stack. */
export const MAX_DEPTH = 100;

/** Rewrites a string scalar; `plain` is true when it was written unquoted. Throws ScalarError to report a problem. */
export type ScalarHook = (text: string, plain: boolean) => unknown;

/** A problem with one scalar's text, reported at that scalar. */
export class ScalarError extends Error {}

/** Plain data of the document, where each path was written, and the problems found on the way. */
export interface YamlTree {
  /** Plain data: objects, arrays, strings, numbers, booleans, null; undefined for an empty document. */
  value: unknown;
  source: StackSourceMap;
  issues: ConfigIssue[];
  /** Located warnings (`file:line:col path: message`) about how values are written. */
  warnings: string[];
}

/** The document as positioned nodes (undefined when empty), and the problems found on the way. */
export interface NodeTree {
  node: TreeNode | undefined;
  issues: ConfigIssue[];
  /** Located warnings (`file:line:col path: message`) about how values are written. */
  warnings: string[];
}

/**
 * Builds the positioned tree. Plain scalars are read as Compose reads them (yaml-scalar.ts), and the
 * values that are text to Compose become its text (text-values.ts).
 * Throws ConfigError only when a size limit is hit; other problems are in `issues`.
 */
export function toNodeTree(parsed: ParsedYaml, hook?: ScalarHook): NodeTree {
  const builder = new TreeBuilder(parsed, hook);
  const contents = parsed.doc.contents;
  if (contents === null) return { node: undefined, issues: [], warnings: [] };
  const node = builder.convert(contents, '', 0);
  return { node, issues: builder.issues, warnings: builder.warnings };
}

/** Builds the plain tree of one file. Throws ConfigError only when a size limit is hit; other problems are in `issues`. */
export function toTree(parsed: ParsedYaml, hook?: ScalarHook): YamlTree {
  const { node, issues, warnings } = toNodeTree(parsed, hook);
  if (node === undefined) return { value: undefined, source: new StackSourceMap(parsed.file), issues, warnings };
  const { value, source } = flatten(node, parsed.file);
  return { value, source, issues, warnings };
}

class TreeBuilder {
  readonly issues: ConfigIssue[] = [];
  readonly warnings: string[] = [];
  private nodes = 0;
  /** Nodes the builder may visit: the document's own plus MAX_ALIAS_EXPANSION. */
  private readonly budget: number;
  /** Each alias's anchored node: the last anchor of that name before it, as YAML says. */
  private readonly targets = new Map<Alias, Node | undefined>();
  /** Collections being converted: an alias to one of them would recurse forever. */
  private readonly active = new Set<Node>();
  /** Duplicate keys already reported (an anchored map is converted once per use). */
  private readonly reported = new Set<unknown>();
  /** Which values are text to Compose, by key path. */
  private readonly shapes: ValueShapes;

  constructor(
    private readonly parsed: ParsedYaml,
    private readonly hook?: ScalarHook,
  ) {
    this.shapes = ValueShapes.of(parsed.doc);
    const anchors = new Map<string, Node>();
    let written = 0;
    visit(parsed.doc, {
      Node: (_key, node) => {
        written++;
        if (isAlias(node)) this.targets.set(node, anchors.get(node.source));
        else if (node.anchor) anchors.set(node.anchor, node);
      },
    });
    this.budget = written + MAX_ALIAS_EXPANSION;
  }

  pos(node: Node | Pair['key']): Pos {
    const offset = (node as Node | null)?.range?.[0] ?? 0;
    return this.parsed.lines.linePos(offset);
  }

  loc(node: Node | Pair['key'], path?: string): Loc {
    return { file: this.parsed.file, ...this.pos(node), ...(path === undefined ? {} : { path }) };
  }

  /** @param path the formatted key path (`services.api.ports[0]`); built by concatenation, as this runs per node */
  convert(node: unknown, path: string, depth: number, at?: Loc): TreeNode {
    this.count(depth, node as Node);
    if (node === null || node === undefined) return scalarNode(at ?? { file: this.parsed.file, line: 1, col: 1 }, null);
    const loc = this.loc(node as Node, path);
    if (isAlias(node)) {
      const target = this.resolve(node, path);
      if (target === undefined) return scalarNode(loc, null);
      const out = this.convert(target, path, depth + 1);
      return { ...out, at: loc, ...(out.tag ? {} : mergeTag(node)) };
    }
    const tag = mergeTag(node as Node);
    if (isScalar(node)) return { ...scalarNode(loc, tag.tag === undefined ? this.scalar(node, path) : this.tagged(node, path)), ...tag };
    if (isMap(node)) return { ...this.map(node, path, depth, () => false, mapNode(loc)), ...tag };
    if (isSeq(node)) {
      this.active.add(node);
      const items = node.items.map((item, i) => this.convert(item, `${path}[${i}]`, depth + 1, loc));
      this.active.delete(node);
      return { kind: 'seq', at: loc, items, ...tag };
    }
    return scalarNode(loc, null);
  }

  /** A scalar under `!reset`/`!override`: the tag hides YAML's own typing; composeValue reads a plain one as an untagged one. */
  private tagged(node: Scalar, path: string): unknown {
    return this.scalar(node, path);
  }

  /**
   * Converts a mapping into `out`. `skip` names keys the including mapping already has: a merged
   * mapping only fills in keys that are missing (explicit keys win, earlier merges win over later).
   */
  private map(node: YAMLMap, path: string, depth: number, skip: (key: string) => boolean, out: MapNode): MapNode {
    this.active.add(node);
    const explicit = new Map<string, Pair>();
    for (const pair of node.items) {
      if (isMergeKey(pair.key)) continue;
      const key = this.keyOf(pair, path);
      if (key === undefined) continue;
      const first = explicit.get(key);
      if (!first) explicit.set(key, pair);
      else if (!this.reported.has(pair)) {
        this.reported.add(pair);
        const line = this.pos(first.key).line;
        this.issues.push({ location: { file: this.parsed.file, ...this.pos(pair.key), path: child(path, key) }, message: `duplicate key "${key}" (first written at line ${line})` });
      }
    }
    for (const pair of node.items) {
      if (isMergeKey(pair.key)) {
        const has = (k: string) => skip(k) || explicit.has(k) || out.entries.has(k);
        for (const src of this.mergeSources(pair, path)) this.map(src, path, depth + 1, has, out);
        continue;
      }
      const key = this.keyOf(pair, path, true);
      if (key === undefined || explicit.get(key) !== pair || skip(key)) continue;
      const keyLoc = this.loc(pair.key, child(path, key));
      out.entries.set(key, { key: keyLoc, node: this.convert(pair.value as Node | null, child(path, key), depth + 1, keyLoc) });
    }
    this.active.delete(node);
    return out;
  }

  /** The mappings a `<<` key merges: one mapping, or a list of them, usually through aliases. */
  private mergeSources(pair: Pair, path: string): YAMLMap[] {
    const value = this.deref(pair.value as Node | null, path);
    const items = isSeq(value) ? value.items.map((item) => this.deref(item as Node, path)) : [value];
    const maps: YAMLMap[] = [];
    for (const item of items) {
      if (isMap(item)) maps.push(item);
      else if (item !== undefined) this.issue(pair.value as Node, path, 'a merge key (<<) takes a mapping or a list of mappings, usually aliases like *defaults');
    }
    return maps;
  }

  private deref(node: Node | null, path: string): Node | undefined {
    if (node === null) return undefined;
    return isAlias(node) ? this.resolve(node, path) : node;
  }

  private resolve(alias: Alias, path: string): Node | undefined {
    const target = this.targets.get(alias);
    if (target === undefined) this.issue(alias, path, `unknown alias *${alias.source} (its anchor &${alias.source} must come before it)`);
    else if (this.active.has(target)) this.issue(alias, path, `alias *${alias.source} refers to a node that contains it`);
    else return target;
    return undefined;
  }

  private scalar(node: Scalar, path: string): unknown {
    const shape = this.shapes.at(path);
    const value = this.composeValue(node, path, shape);
    if (typeof value !== 'string' || !this.hook) return value;
    try {
      const out = this.hook(value, node.type === Scalar.PLAIN);
      // Compose substitutes text into text: "${N}" in environment stays a string.
      return shape === 'text' && out !== null && typeof out !== 'object' ? String(out) : out;
    } catch (err) {
      if (!(err instanceof ScalarError)) throw err;
      this.issue(node, path, err.message);
      return value;
    }
  }

  /**
   * A scalar as Compose reads it. Quoted and tagged scalars are as YAML says; plain ones follow
   * go-yaml (yaml-scalar.ts): text where Compose wants text, else a number that must be exact.
   */
  private composeValue(node: Scalar, path: string, shape: ValueShape): unknown {
    const tagged = node.tag !== undefined && node.tag !== '!reset' && node.tag !== '!override'; // Compose's merge tags say nothing of the type
    if (node.type !== Scalar.PLAIN || tagged || typeof node.source !== 'string') return node.value;
    const written = node.source;
    const reading = readPlainScalar(written);
    if (shape === 'text') return reading.kind === 'string' ? reading.value : (composeText(reading) ?? null);
    if (shape === 'file-mode') {
      const warning = decimalModeWarning(written);
      if (warning) this.warnings.push(formatIssue({ location: { file: this.parsed.file, ...this.pos(node), path }, message: warning }));
    }
    if (reading.kind === 'null') return null;
    if (reading.kind === 'bool' || reading.kind === 'string') return reading.value;
    const n = Number(reading.value);
    // An integer beyond uint64 is a float to go-yaml; as a number it is just as inexact.
    const integral = reading.kind === 'int' || /^[-+]?[0-9_]+$/.test(written);
    if (integral && !Number.isSafeInteger(n) && shape !== 'extension') {
      this.issue(node, path, `${written} is too large to be read exactly as a number (the largest is ${Number.MAX_SAFE_INTEGER}); quote it if it is text`);
    }
    return n;
  }

  /** A map key as a string; only plain values (strings, numbers, booleans) are keys in a stack file. */
  private keyOf(pair: Pair, path: string, quiet = false): string | undefined {
    let key = pair.key as Node | null;
    if (key !== null && isAlias(key)) key = this.targets.get(key) ?? null;
    if (key === null) return '';
    if (isScalar(key)) return String(key.value ?? '');
    if (!quiet) this.issue(pair.key as Node, path, 'a key must be a plain value, not a mapping or a list');
    return undefined;
  }

  private issue(node: Node, path: string, message: string): void {
    this.issues.push({ location: { file: this.parsed.file, ...this.pos(node), path }, message });
  }

  private count(depth: number, node: Node): void {
    if (depth > MAX_DEPTH) throw limit(this.parsed.file, this.pos(node), `nested more than ${MAX_DEPTH} levels deep`);
    if (++this.nodes > this.budget) {
      throw limit(this.parsed.file, this.pos(node), `expands to more than ${MAX_ALIAS_EXPANSION} extra values through aliases; refusing it`);
    }
  }
}

function limit(file: string, pos: Pos, message: string): ConfigError {
  return new ConfigError([{ location: { file, ...pos, path: '' }, message: `the file ${message}` }]);
}

/** `<<` written plain (a quoted "<<" is an ordinary key). */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && key.value === '<<' && key.type === Scalar.PLAIN;
}

/** Compose's merge tags on a node, as a spreadable part of a TreeNode. */
function mergeTag(node: Node): { tag?: 'reset' | 'override' } {
  const tag = (node as { tag?: string }).tag;
  if (tag === '!reset') return { tag: 'reset' };
  if (tag === '!override') return { tag: 'override' };
  return {};
}

/** The formatted path of a map entry: `services` + `api` → `services.api`. */
function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

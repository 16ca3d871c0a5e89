/**
 * A stack file's tree with every node carrying the file and position it was written at. Several
 * files (`-f a -f b`, `extends`, `include`) are merged as these trees, so that after merging each
 * value still knows which file it came from; `flatten` then gives the plain data the schema and
 * normalization read, and the source map their errors point through.
 */
import { StackSourceMap, type Pos } from './source-map.js';

/** Where a node was written: a file as messages name it, and a 1-based line and column. */
export interface Loc extends Pos {
  file: string;
  /**
   * The key path it was written at in that file, when the parser knows it. It differs from the
   * path in the merged tree where `extends` brought it from another service (`services.base.ports`
   * under `services.app`), and messages name it as written.
   */
  path?: string;
}

/** Compose's YAML tags: `!reset` drops what earlier files set, `!override` replaces it instead of merging. */
export type MergeTag = 'reset' | 'override';

interface NodeBase {
  at: Loc;
  tag?: MergeTag;
}

/** A mapping; entries keep the order they were written in. */
export interface MapNode extends NodeBase {
  kind: 'map';
  entries: Map<string, MapEntry>;
}

/** One key of a mapping: where the key was written, and its value. */
export interface MapEntry {
  key: Loc;
  node: TreeNode;
}

export interface SeqNode extends NodeBase {
  kind: 'seq';
  items: TreeNode[];
}

/** A string, number, boolean, bigint or null. */
export interface ScalarNode extends NodeBase {
  kind: 'scalar';
  value: unknown;
}

export type TreeNode = MapNode | SeqNode | ScalarNode;

/** A new empty mapping at `at`. */
export function mapNode(at: Loc, entries: Map<string, MapEntry> = new Map()): MapNode {
  return { kind: 'map', at, entries };
}

/** A scalar written (or stood for) at `at`. */
export function scalarNode(at: Loc, value: unknown): ScalarNode {
  return { kind: 'scalar', at, value };
}

/** The node at a key of a mapping node, if any. */
export function child(node: TreeNode | undefined, key: string): TreeNode | undefined {
  return node?.kind === 'map' ? node.entries.get(key)?.node : undefined;
}

/** A scalar's string value, if the node is a string scalar. */
export function stringOf(node: TreeNode | undefined): string | undefined {
  return node?.kind === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
}

/** A deep copy (merging changes nodes in place). */
export function cloneNode<T extends TreeNode>(node: T): T {
  switch (node.kind) {
    case 'scalar':
      return { ...node };
    case 'seq':
      return { ...node, items: node.items.map(cloneNode) };
    case 'map':
      return { ...node, entries: new Map([...node.entries].map(([k, e]) => [k, { key: e.key, node: cloneNode(e.node) }])) };
  }
}

/** Plain data and the source map of a tree; `file` is the place of last resort for paths never written. */
export function flatten(root: TreeNode, file: string): { value: unknown; source: StackSourceMap } {
  const source = new StackSourceMap(file);
  source.set('', { value: root.at });
  return { value: plain(root, '', source), source };
}

function plain(node: TreeNode, path: string, source: StackSourceMap): unknown {
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map((item, i) => {
        const at = `${path}[${i}]`;
        source.set(at, { value: item.at, written: item.at.path });
        return plain(item, at, source);
      });
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [key, entry] of node.entries) {
        const at = path === '' ? key : `${path}.${key}`;
        source.set(at, { key: entry.key, value: entry.node.at, written: entry.key.path });
        setOwn(out, key, plain(entry.node, at, source));
      }
      return out;
    }
  }
}

/** Sets a key; "__proto__" goes through defineProperty so that it stays data instead of setting the prototype. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** The plain value of a node, without positions. */
export function plainOf(node: TreeNode): unknown {
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(plainOf);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [key, entry] of node.entries) setOwn(out, key, plainOf(entry.node));
      return out;
    }
  }
}

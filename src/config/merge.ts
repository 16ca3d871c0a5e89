/**
 * Merges stack files as Compose does (compose-spec `13-merge.md`, compose-go `override/merge.go`
 * and `uncity.go`): mappings merge key by key, lists append, scalars are replaced; `command`,
 * `entrypoint` and `healthcheck.test` are replaced whole; environment-like fields merge by name in
 * list and mapping form alike; ports, volumes, secrets, configs and a few more lists keep one entry
 * per key (a later one replaces the earlier in its place); `!reset` removes a value, `!override`
 * replaces it. Works on positioned nodes, so every merged value keeps the file it was written in.
 */
import type { ConfigIssue } from '../errors.js';
import {
  byDeviceTarget,
  byEnvFilePath,
  byFileMount,
  byMountTarget,
  byName,
  byPort,
  byValue,
  type Indexer,
} from './merge-keys.js';
import { mapNode, plainOf, scalarNode, type Loc, type MapEntry, type MapNode, type SeqNode, type TreeNode } from './node-tree.js';

/** How the value at a path merges. */
type Rule =
  | { kind: 'replace' }
  | { kind: 'by-name' }
  | { kind: 'unique'; key: Indexer; stringIsList?: boolean }
  | { kind: 'build' }
  | { kind: 'depends-on' }
  | { kind: 'networks' }
  | { kind: 'logging' }
  | { kind: 'extra-hosts' };

const replace: Rule = { kind: 'replace' };
const byNameRule: Rule = { kind: 'by-name' };
const unique = (key: Indexer, stringIsList = false): Rule => ({ kind: 'unique', key, stringIsList });

/** Compose's special cases by path (`*` is any one key); everything else follows the general rule. */
const RULES: [pattern: string, rule: Rule][] = [
  ['services.*.command', replace],
  ['services.*.entrypoint', replace],
  ['services.*.healthcheck.test', replace],
  ['services.*.ulimits.*', replace],
  ['services.*.build', { kind: 'build' }],
  ['services.*.depends_on', { kind: 'depends-on' }],
  ['services.*.networks', { kind: 'networks' }],
  ['services.*.logging', { kind: 'logging' }],
  ['services.*.extra_hosts', { kind: 'extra-hosts' }],
  ['services.*.build.extra_hosts', { kind: 'extra-hosts' }],
  // NAME=VALUE lists or mappings, merged by NAME.
  ['services.*.environment', byNameRule],
  ['services.*.labels', byNameRule],
  ['services.*.annotations', byNameRule],
  ['services.*.sysctls', byNameRule],
  ['services.*.build.args', byNameRule],
  ['services.*.build.labels', byNameRule],
  ['services.*.build.additional_contexts', byNameRule],
  ['services.*.deploy.labels', byNameRule],
  ['networks.*.labels', byNameRule],
  ['volumes.*.labels', byNameRule],
  // Lists that keep one entry per key.
  ['services.*.ports', unique(byPort)],
  ['services.*.volumes', unique(byMountTarget)],
  ['services.*.devices', unique(byDeviceTarget)],
  ['services.*.secrets', unique(byFileMount('/run/secrets'))],
  ['services.*.configs', unique(byFileMount(''))],
  ['services.*.expose', unique(byValue)],
  ['services.*.env_file', unique(byEnvFilePath, true)],
  ['services.*.dns', unique(byValue, true)],
  ['services.*.dns_opt', unique(byValue, true)],
  ['services.*.dns_search', unique(byValue, true)],
  ['services.*.tmpfs', unique(byValue, true)],
  ['services.*.cap_add', unique(byValue)],
  ['services.*.cap_drop', unique(byValue)],
  ['services.*.profiles', unique(byValue)],
  ['services.*.links', unique(byValue)],
  ['services.*.networks.*.aliases', unique(byValue)],
  ['services.*.networks.*.link_local_ips', unique(byValue)],
  ['services.*.build.tags', unique(byName)],
];

const PATTERNS = RULES.map(([pattern, rule]) => ({ parts: pattern.split('.'), rule }));

function ruleAt(path: readonly string[]): Rule | undefined {
  return PATTERNS.find(({ parts }) => parts.length === path.length && parts.every((p, i) => p === '*' || p === path[i]))?.rule;
}

/**
 * Merges `over` (a later file) into `base` (everything before it), returning the result; either
 * may be changed. `path` is where both sit (`['services', 'api']` when `extends` merges one service).
 * Problems (a list where the earlier file has a mapping) go to `issues`.
 */
export function mergeNodes(base: TreeNode | undefined, over: TreeNode, issues: ConfigIssue[], path: readonly string[] = []): TreeNode {
  // Reset values left after merging are the later file's own (new keys, list items): they mean "nothing".
  return stripResets(base === undefined ? over : new Merger(issues).merge(base, over, path));
}

/**
 * Removes every `!reset` value from a tree: a file's own reset keys and list items mean "nothing
 * here", whatever earlier files said.
 */
export function stripResets<T extends TreeNode>(node: T): T {
  if (node.kind === 'map') {
    for (const [key, entry] of node.entries) {
      if (entry.node.tag === 'reset') node.entries.delete(key);
      else stripResets(entry.node);
    }
  } else if (node.kind === 'seq') {
    node.items = node.items.filter((item) => item.tag !== 'reset');
    for (const item of node.items) stripResets(item);
  }
  return node;
}

class Merger {
  constructor(private readonly issues: ConfigIssue[]) {}

  merge(base: TreeNode, over: TreeNode, path: readonly string[]): TreeNode {
    if (over.tag === 'override') return over;
    const rule = ruleAt(path);
    if (rule) return this.special(rule, base, over, path);
    if (isNull(over)) return base; // an empty key in a later file keeps what was there
    if (base.kind === 'map') return over.kind === 'map' ? this.mapping(base, over, path) : this.mismatch(base, over, path);
    if (base.kind === 'seq') return over.kind === 'seq' ? { ...base, items: [...base.items, ...over.items] } : this.mismatch(base, over, path);
    return over;
  }

  /** Key by key: new keys are added, shared ones merged, `!reset` ones removed. */
  private mapping(base: MapNode, over: MapNode, path: readonly string[]): MapNode {
    for (const [key, entry] of over.entries) {
      const mine = base.entries.get(key);
      if (entry.node.tag === 'reset') base.entries.delete(key);
      else if (!mine) base.entries.set(key, entry);
      else base.entries.set(key, { key: mine.key, node: this.merge(mine.node, entry.node, [...path, key]) });
    }
    return base;
  }

  private special(rule: Rule, base: TreeNode, over: TreeNode, path: readonly string[]): TreeNode {
    switch (rule.kind) {
      case 'replace':
        return over;
      case 'by-name':
        return this.byName(base, over, path);
      case 'unique': {
        const b = rule.stringIsList ? asList(base) : base;
        const o = rule.stringIsList ? asList(over) : over;
        if (b.kind !== 'seq' || o.kind !== 'seq') return this.typed(b, o, path);
        return dedupe({ ...b, items: [...b.items, ...o.items] }, rule.key);
      }
      case 'build': {
        const b = contextMap(base);
        const o = contextMap(over);
        return b.kind === 'map' && o.kind === 'map' ? this.mapping(b, o, path) : this.typed(b, o, path);
      }
      case 'depends-on': {
        const b = namesToMap(base, dependsOnDefault);
        const o = namesToMap(over, dependsOnDefault);
        return b.kind === 'map' && o.kind === 'map' ? this.mapping(b, o, path) : this.typed(b, o, path);
      }
      case 'networks': {
        const b = namesToMap(base, (at) => scalarNode(at, null));
        const o = namesToMap(over, (at) => scalarNode(at, null));
        return b.kind === 'map' && o.kind === 'map' ? this.mapping(b, o, path) : this.typed(b, o, path);
      }
      case 'logging': {
        if (base.kind !== 'map' || over.kind !== 'map') return this.typed(base, over, path);
        const driver = (m: MapNode) => m.entries.get('driver')?.node;
        const b = driver(base);
        const o = driver(over);
        // Options merge only for the same driver (or when either file names none); another driver starts afresh.
        if (!b || !o || plainOf(b) === plainOf(o)) return this.mapping(base, over, path);
        return over;
      }
      case 'extra-hosts': {
        if (base.kind === 'map' && over.kind === 'map') return this.byName(base, over, path);
        const b = hostsList(base);
        const o = hostsList(over);
        if (b.kind !== 'seq' || o.kind !== 'seq') return this.typed(b, o, path);
        // Compose drops a later entry only when it is the very same text.
        const seen = new Set(b.items.map((i) => JSON.stringify(plainOf(i))));
        return { ...b, items: [...b.items, ...o.items.filter((i) => !seen.has(JSON.stringify(plainOf(i))))] };
      }
      default: {
        const never: never = rule;
        return never;
      }
    }
  }

  /**
   * NAME=VALUE entries by NAME: two mappings merge as mappings, two lists as a list (a later entry
   * replaces an earlier one of the same name in its place); a list and a mapping as a mapping, the
   * list's `NAME=VALUE` becoming `NAME: VALUE` and a bare `NAME` becoming `NAME:` (no value).
   */
  private byName(base: TreeNode, over: TreeNode, path: readonly string[]): TreeNode {
    if (base.kind === 'seq' && over.kind === 'seq') return dedupe({ ...base, items: [...base.items, ...over.items] }, byName);
    const b = base.kind === 'seq' ? listToMap(base) : base;
    const o = over.kind === 'seq' ? listToMap(over) : over;
    if (b.kind !== 'map' || o.kind !== 'map') return this.typed(b, o, path);
    for (const [key, entry] of o.entries) {
      if (entry.node.tag === 'reset') b.entries.delete(key);
      else b.entries.set(key, entry); // a later value wins, even an empty one (it means "from the environment")
    }
    return b;
  }

  /** Shapes a rule cannot merge: a null in the later file keeps the earlier value; otherwise it is an error unless the later is a plain value. */
  private typed(base: TreeNode, over: TreeNode, path: readonly string[]): TreeNode {
    if (isNull(over)) return base;
    if (isNull(base)) return over;
    return this.mismatch(base, over, path);
  }

  private mismatch(base: TreeNode, over: TreeNode, path: readonly string[]): TreeNode {
    if (base.kind === over.kind) return over;
    this.issues.push({
      location: { ...over.at, path: path.join('.') },
      message: `cannot merge ${kindWords(over)} into the ${kindWords(base).replace(/^an? /, '')} written at ${where(base.at)}; use !override to replace it`,
    });
    return base;
  }
}

function isNull(node: TreeNode): boolean {
  return node.kind === 'scalar' && node.value === null;
}

function kindWords(node: TreeNode): string {
  return node.kind === 'map' ? 'a mapping' : node.kind === 'seq' ? 'a list' : 'a single value';
}

function where(at: Loc): string {
  return `${at.file}:${at.line}:${at.col}`;
}

/** Keeps one entry per key; a later one takes the place of the first with its key. */
function dedupe(seq: SeqNode, key: Indexer): SeqNode {
  const items: TreeNode[] = [];
  const index = new Map<string, number>();
  for (const item of seq.items) {
    const k = key(plainOf(item));
    const at = k === undefined ? undefined : index.get(k);
    if (at !== undefined) items[at] = item;
    else {
      if (k !== undefined) index.set(k, items.length);
      items.push(item);
    }
  }
  return { ...seq, items };
}

/** A single string where a list is meant (`dns: 8.8.8.8`) as a list of one. */
function asList(node: TreeNode): TreeNode {
  return node.kind === 'scalar' && typeof node.value === 'string' ? { kind: 'seq', at: node.at, items: [node] } : node;
}

/** `build: ./dir` as `build: {context: ./dir}`. */
function contextMap(node: TreeNode): TreeNode {
  if (node.kind !== 'scalar' || typeof node.value !== 'string') return node;
  return mapNode(node.at, new Map([['context', { key: node.at, node }]]));
}

/** The default of a dependency written as a list entry. */
function dependsOnDefault(at: Loc): TreeNode {
  return mapNode(
    at,
    new Map<string, MapEntry>([
      ['condition', { key: at, node: scalarNode(at, 'service_started') }],
      ['required', { key: at, node: scalarNode(at, true) }],
    ]),
  );
}

/** A list of names (`depends_on: [db]`, `networks: [back]`) as a mapping of each name to `value`. */
function namesToMap(node: TreeNode, value: (at: Loc) => TreeNode): TreeNode {
  if (node.kind !== 'seq') return node;
  const out = mapNode(node.at);
  for (const item of node.items) {
    if (item.kind === 'scalar' && typeof item.value === 'string') out.entries.set(item.value, { key: item.at, node: value(item.at) });
    else return node; // not a list of names: left for the schema to report
  }
  return out;
}

/** `["A=1", "B"]` as `{A: "1", B: null}`, each entry at its item's place. */
function listToMap(seq: SeqNode): TreeNode {
  const out = mapNode(seq.at);
  for (const item of seq.items) {
    if (item.kind !== 'scalar' || typeof item.value !== 'string') return seq;
    const eq = item.value.indexOf('=');
    const name = eq < 0 ? item.value : item.value.slice(0, eq);
    out.entries.set(name, { key: item.at, node: scalarNode(item.at, eq < 0 ? null : item.value.slice(eq + 1)) });
  }
  return out;
}

/** extra_hosts as a list: a mapping's entries become `HOST=IP`. */
function hostsList(node: TreeNode): TreeNode {
  if (node.kind !== 'map') return node;
  const items: TreeNode[] = [];
  for (const [host, entry] of node.entries) {
    const ips = entry.node.kind === 'seq' ? entry.node.items : [entry.node];
    for (const ip of ips) items.push(scalarNode(entry.key, `${host}=${String(plainOf(ip))}`));
  }
  return { kind: 'seq', at: node.at, items };
}

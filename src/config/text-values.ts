/**
 * Where a stack file's values are text whatever YAML makes of them. Compose decodes these keys
 * into string maps (compose-go's MappingWithEquals, Mapping, Labels, Options, HostsList), turning
 * a number or boolean written there into its `fmt.Sprint` text; hafen does the same while it
 * reads the file, so a 19-digit number in `environment` stays 19 digits and `true` stays "true".
 * Decided from the key path alone, so the tree builder needs no more than the path it already has.
 */
import { isMap, isScalar, type Document } from 'yaml';

/**
 * How a value is read: `text` (scalars become Compose's text), `extension` (under an x- key: kept
 * as YAML reads it), `file-mode` (a number, warned of when its digits look octal but are decimal),
 * or undefined (as YAML reads it; an integer must be exact).
 */
export type ValueShape = 'text' | 'extension' | 'file-mode' | undefined;

/** Below `services.NAME.`: the keys whose values are text (compose-go's type in each comment). */
const SERVICE_TEXT = new RegExp(
  '^(?:' +
    [
      'environment', // MappingWithEquals: null stays "no value"
      'labels', // Labels
      'annotations', // Mapping
      'sysctls', // Mapping
      'extra_hosts', // HostsList
      'build\\.(?:args|labels|extra_hosts)', // MappingWithEquals, Labels, HostsList
      'logging\\.options', // Options
      'deploy\\.labels', // Labels
      'networks\\.[^[]+\\.driver_opts', // Options
    ].join('|') +
    ')(?:[.[]|$)',
);
/** Below `services.NAME.`: file modes (tmpfs: uint32 given to the engine as os.FileMode; secrets, configs: FileMode). */
const SERVICE_MODE = /^(?:volumes\[\d+\]\.tmpfs|secrets\[\d+\]|configs\[\d+\])\.mode$/;
/** Below `networks.NAME.`, `volumes.NAME.`, `secrets.NAME.`, `configs.NAME.`: Labels and Options. */
const RESOURCE_TEXT = /^(?:labels|driver_opts|ipam\.options)(?:[.[]|$)/;
const RESOURCES = ['networks', 'volumes', 'secrets', 'configs'];
const EXTENSION = /(?:^|\.)x-/;

/** The shapes of one file's values; knows the file's service and resource names, which may hold dots. */
export class ValueShapes {
  /** Names under each top-level key, longest first, so `services.a.b.environment` finds service "a.b". */
  private readonly names: Map<string, string[]>;

  constructor(names: Record<string, string[]> = {}) {
    this.names = new Map(Object.entries(names).map(([top, list]) => [top, [...list].sort((a, b) => b.length - a.length)]));
  }

  /** The names under the top-level mappings of a parsed document. */
  static of(doc: Document.Parsed): ValueShapes {
    const names: Record<string, string[]> = {};
    const root = doc.contents;
    if (isMap(root)) {
      for (const pair of root.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined || (key !== 'services' && !RESOURCES.includes(key)) || !isMap(pair.value)) continue;
        names[key] = pair.value.items.flatMap((p) => (isScalar(p.key) ? [String(p.key.value)] : []));
      }
    }
    return new ValueShapes(names);
  }

  /** The shape of the value at a formatted key path (`services.api.environment.FOO`, `services.api.labels[0]`). */
  at(path: string): ValueShape {
    const top = path.slice(0, path.indexOf('.'));
    const rest = top === 'services' || RESOURCES.includes(top) ? this.below(top, path) : undefined;
    if (rest !== undefined) {
      if (top === 'services' ? SERVICE_TEXT.test(rest) : RESOURCE_TEXT.test(rest)) return 'text';
      if (top === 'services' && SERVICE_MODE.test(rest)) return 'file-mode';
    }
    return EXTENSION.test(path) ? 'extension' : undefined;
  }

  /** The path below `TOP.NAME.`, or undefined when it is not that deep. */
  private below(top: string, path: string): string | undefined {
    const after = path.slice(top.length + 1);
    for (const name of this.names.get(top) ?? []) {
      if (after.startsWith(name) && after[name.length] === '.') return after.slice(name.length + 1);
    }
    const dot = after.indexOf('.'); // a name this file does not hold (merged in by <<): up to the first dot
    return dot < 0 ? undefined : after.slice(dot + 1);
  }
}

/**
 * Where a stack file's values are text whatever YAML makes of them. Compose decodes these keys
 * into string maps (compose-go's MappingWithEquals, Mapping, Labels, Options, HostsList), turning
 * a number or boolean written there into its `fmt.Sprint` text; hafen does the same while it
 * reads the file, so a 19-digit number in `environment` stays 19 digits and `true` stays "true".
 */

/**
 * How a part of the file is read: `text` (scalars become Compose's text), `extension` (x-: kept as
 * YAML reads it), `file-mode` (a number, warned of when its decimal digits look octal), or a table of keys.
 */
export type Shape = 'text' | 'extension' | 'file-mode' | { readonly [key: string]: Shape };

const text = 'text' as const;
const fileMode = 'file-mode' as const;

/** The keys below a service whose values are text (compose-go's type in each comment). */
const SERVICE: Shape = {
  environment: text, // MappingWithEquals: null stays "no value"
  labels: text, // Labels
  annotations: text, // Mapping
  sysctls: text, // Mapping
  extra_hosts: text, // HostsList
  build: { args: text, labels: text, extra_hosts: text }, // MappingWithEquals, Labels, HostsList
  logging: { options: text }, // Options
  deploy: { labels: text }, // Labels
  networks: { '*': { driver_opts: text } }, // Options
  volumes: { '*': { tmpfs: { mode: fileMode } } }, // uint32, given to the engine as os.FileMode
  secrets: { '*': { mode: fileMode } }, // FileMode
  configs: { '*': { mode: fileMode } }, // FileMode
};

const RESOURCE: Shape = { '*': { labels: text, driver_opts: text, ipam: { options: text } } };

/** The whole file's table. */
export const FILE_SHAPE: Shape = {
  services: { '*': SERVICE },
  networks: RESOURCE,
  volumes: RESOURCE,
  secrets: RESOURCE,
  configs: RESOURCE,
};

/** The shape of the value under `key` (a mapping key, or `[]` for a list item) of a value shaped `shape`. */
export function childShape(shape: Shape | undefined, key: string): Shape | undefined {
  if (shape === undefined) return key.startsWith('x-') ? 'extension' : undefined;
  if (shape === 'text' || shape === 'extension') return shape;
  if (shape === 'file-mode') return undefined;
  if (key.startsWith('x-')) return 'extension';
  return Object.hasOwn(shape, key) ? shape[key] : shape['*'];
}

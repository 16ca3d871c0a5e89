/**
 * The build API's query parameters for Compose's build keys, as the engine's classic builder
 * takes them (moby's newImageBuildOptions): several `t` for the extra tags, several `extrahosts`,
 * `networkmode`, `cachefrom` (JSON), `pull`, `shmsize`, `ulimits` (JSON), `platform`, `remote`.
 * Named contexts, secrets and SSH need BuildKit and are refused before a build (src/planner/build-support.ts).
 */
import type { BuildSpec } from '../runtime.js';

/** The query parameters for `spec` beyond args, labels, nocache and target; `dockerfile` is its name in the tar (or the remote repository). */
export function composeBuildOptions(spec: BuildSpec, dockerfile: string): Record<string, unknown> {
  const options: Record<string, unknown> = {
    t: spec.extraTags && spec.extraTags.length > 0 ? [spec.tag, ...spec.extraTags] : spec.tag,
    dockerfile,
  };
  if (spec.remoteContext !== undefined) options.remote = spec.remoteContext;
  if (spec.network !== undefined) options.networkmode = spec.network;
  if (spec.extraHosts) options.extrahosts = Object.entries(spec.extraHosts).map(([host, ip]) => `${host}:${ip}`);
  if (spec.cacheFrom && spec.cacheFrom.length > 0) options.cachefrom = [...spec.cacheFrom]; // dockerode sends it as JSON
  if (spec.pull) options.pull = true;
  if (spec.shmSize !== undefined) options.shmsize = spec.shmSize;
  if (spec.ulimits) options.ulimits = JSON.stringify(Object.entries(spec.ulimits).map(([Name, l]) => ({ Name, Soft: l.soft, Hard: l.hard })));
  if (spec.platform !== undefined) options.platform = spec.platform;
  return options;
}

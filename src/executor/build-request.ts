/**
 * A service's `build:` as the runtime's build request: the model's Compose keys renamed, and
 * `service:NAME` contexts turned into the image that service builds (the planner builds it first).
 */
import type { BuildSpec as ModelBuild, Stack } from '../config/model.js';
import { imageSource } from '../planner/resources.js';
import type { BuildSpec } from '../runtime/runtime.js';

/** The runtime's build request for `build`, tagged `tag`; `overrides` (CLI --build-arg, --no-cache, labels) win. */
export function buildRequest(stack: Stack, build: ModelBuild, tag: string, overrides: Partial<Pick<BuildSpec, 'args' | 'noCache' | 'labels'>> = {}): BuildSpec {
  const spec: BuildSpec = {
    contextDir: build.context,
    dockerfile: build.dockerfile,
    args: { ...build.args, ...overrides.args },
    ...(build.target ? { target: build.target } : {}),
    tag,
    noCache: overrides.noCache ?? build.no_cache,
    labels: { ...build.labels, ...overrides.labels },
  };
  if (build.dockerfile_inline !== undefined) spec.dockerfileInline = build.dockerfile_inline;
  if (build.remote) spec.remoteContext = build.context;
  if (build.additional_contexts) spec.namedContexts = namedContexts(stack, build.additional_contexts);
  if (build.network !== undefined) spec.network = build.network;
  if (build.extra_hosts && Object.keys(build.extra_hosts).length > 0) spec.extraHosts = { ...build.extra_hosts };
  if (build.secrets && build.secrets.length > 0) {
    spec.secrets = build.secrets.map((s) => ({
      id: s.id,
      ...(s.file !== undefined ? { file: s.file } : {}),
      ...(s.environment !== undefined ? { env: s.environment } : {}),
      ...(s.uid !== undefined ? { uid: s.uid } : {}),
      ...(s.gid !== undefined ? { gid: s.gid } : {}),
      ...(s.mode !== undefined ? { mode: s.mode } : {}),
    }));
  }
  if (build.ssh && build.ssh.length > 0) spec.ssh = build.ssh.map((k) => ({ ...k }));
  if (build.cache_from && build.cache_from.length > 0) spec.cacheFrom = [...build.cache_from];
  if (build.pull) spec.pull = true;
  if (build.tags && build.tags.length > 0) spec.extraTags = [...build.tags];
  if (build.shm_size !== undefined) spec.shmSize = build.shm_size;
  if (build.ulimits && Object.keys(build.ulimits).length > 0) spec.ulimits = { ...build.ulimits };
  if (build.platforms?.length === 1) spec.platform = build.platforms[0]!;
  return spec;
}

function namedContexts(stack: Stack, contexts: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(contexts)) {
    const service = value.startsWith('service:') ? stack.services[value.slice('service:'.length)] : undefined;
    out[name] = service ? `docker-image://${imageSource(stack, service).ref}` : value;
  }
  return out;
}

/**
 * The `build:` keys one runtime cannot honour, as SUPPORT_RULES entries: the embedded builder has no
 * git client; the Docker runtime drives the engine's classic builder (its build
 * API without BuildKit's session), which has no named contexts, build secrets or SSH mounts.
 */
import type { BuildSpec, RuntimeName, Service } from '../config/model.js';
import type { SupportRule } from './runtime-support.js';

/** The services a build's `service:NAME` contexts name: their images are built first. */
export function contextServices(build: BuildSpec): string[] {
  return Object.values(build.additional_contexts ?? {}).flatMap((v) => (v.startsWith('service:') ? [v.slice('service:'.length)] : []));
}

/** RUN networks the embedded builder has. */
const EMBEDDED_NETWORKS = new Set(['default', 'host', 'none']);
/** Entitlements both builders grant without asking (RUN --network=host). */
const GRANTED_ENTITLEMENTS = new Set(['network.host']);

/** Node's name for this machine's CPU as an OCI platform's architecture. */
const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** `linux/ARCH` of this machine, which the embedded builder builds for. */
export function hostPlatform(arch: string = process.arch): string {
  return `linux/${GO_ARCH[arch] ?? arch}`;
}

/** A rule about `build.KEY` that refuses when `why` says so (for services with a build). */
function rule(runtime: RuntimeName, key: string, why: (b: BuildSpec, s: Service) => string | undefined, todo: string): SupportRule {
  return { runtime, key: `build.${key}`, refuse: (s) => (s.build ? why(s.build, s) : undefined), todo };
}

const both = (key: string, why: (b: BuildSpec) => string | undefined, todo: string): SupportRule[] => [rule('embedded', key, why, todo), rule('docker', key, why, todo)];

const DOCKER_TODO = 'remove it, or build with the embedded runtime (--runtime embedded)';

/** Every build rule, for SUPPORT_RULES. */
export const BUILD_RULES: readonly SupportRule[] = [
  // The embedded builder.
  rule(
    'embedded',
    'context',
    (b) => (b.remote ? `the build context ${JSON.stringify(b.context)} is a URL, which the embedded runtime cannot fetch (hafen has no git client)` : undefined),
    'clone it (git clone URL DIR) and set build.context to that folder, or use --runtime docker (the engine clones it)',
  ),
  rule(
    'embedded',
    'additional_contexts',
    (b) => {
      const remote = Object.entries(b.additional_contexts ?? {}).find(([, v]) => /^[a-z][a-z0-9+.-]*:\/\//i.test(v) && !v.startsWith('docker-image://'));
      return remote ? `the context "${remote[0]}" (${remote[1]}) is a URL, which the embedded builder cannot fetch` : undefined;
    },
    'clone or download it into a folder and name that folder instead',
  ),
  rule(
    'embedded',
    'network',
    (b) => (b.network !== undefined && !EMBEDDED_NETWORKS.has(b.network) ? `RUN steps of the embedded builder run on the host's network or none, not on "${b.network}"` : undefined),
    'use network: host, none or default, or use --runtime docker',
  ),
  rule('embedded', 'shm_size', (b) => (b.shm_size !== undefined ? 'the embedded builder does not size /dev/shm of RUN steps' : undefined), 'remove it, or use --runtime docker'),
  rule('embedded', 'ulimits', (b) => (b.ulimits && Object.keys(b.ulimits).length > 0 ? 'the embedded builder does not set resource limits of RUN steps' : undefined), 'remove it, or use --runtime docker'),
  rule(
    'embedded',
    'platforms',
    (b) => {
      const other = b.platforms?.find((p) => p.split('/').slice(0, 2).join('/') !== hostPlatform());
      return other ? `the embedded builder builds for this machine (${hostPlatform()}) only, not ${other}` : undefined;
    },
    `remove platforms, or list only ${hostPlatform()}`,
  ),
  // The Docker engine's classic builder.
  rule('docker', 'additional_contexts', (b) => (b.additional_contexts && Object.keys(b.additional_contexts).length > 0 ? "named build contexts need BuildKit, which the Docker runtime's builder (the engine's classic builder) does not have" : undefined), DOCKER_TODO),
  rule('docker', 'secrets', (b) => (b.secrets?.length ? "build secrets (RUN --mount=type=secret) need BuildKit, which the Docker runtime's builder (the engine's classic builder) does not have" : undefined), DOCKER_TODO),
  rule('docker', 'ssh', (b) => (b.ssh?.length ? "SSH forwarding (RUN --mount=type=ssh) needs BuildKit, which the Docker runtime's builder (the engine's classic builder) does not have" : undefined), 'fetch what needs SSH before the build (into the build context) and remove ssh:'),
  rule(
    'docker',
    'dockerfile_inline',
    (b) => (b.remote && b.dockerfile_inline !== undefined ? 'the engine reads the Dockerfile from the git repository it clones, so dockerfile_inline cannot go with a git URL context' : undefined),
    'commit the Dockerfile to the repository and name it with dockerfile:, or clone it and use a local context',
  ),
  rule('docker', 'platforms', (b) => ((b.platforms?.length ?? 0) > 1 ? `the engine's classic builder builds one platform, not ${b.platforms!.length}` : undefined), 'list one platform (the engine builds for it), or build each with its own service'),
  // Both.
  ...both('privileged', (b) => (b.privileged ? 'privileged builds are not supported' : undefined), 'remove it: RUN steps run with the default capabilities'),
  ...both(
    'entitlements',
    (b) => {
      const other = b.entitlements?.filter((e) => !GRANTED_ENTITLEMENTS.has(e)) ?? [];
      return other.length > 0 ? `the entitlement${other.length > 1 ? 's' : ''} ${other.join(', ')} cannot be granted (only network.host is)` : undefined;
    },
    'remove it',
  ),
  ...both('isolation', (b) => (b.isolation !== undefined && b.isolation !== 'default' ? `isolation "${b.isolation}" is for Windows engines; Linux builds have only "default"` : undefined), 'remove it'),
];

/**
 * What each runtime cannot honour of secrets, configs, logging, annotations, platform, the OCI
 * runtime, reservations and refreshing pull policies (issue 12): rows of SUPPORT_RULES.
 */
import os from 'node:os';
import type { FileObject, FileReference, RuntimeName, Service, Stack } from '../config/model.js';
import { embeddedLoggingProblem } from '../runtime/embedded/containers/log-config.js';
import type { SupportRule } from './runtime-support.js';

const BOTH: readonly RuntimeName[] = ['embedded', 'docker'];

/** The first of a service's references whose definition has no data here, and why. */
function missingData(kind: 'secret' | 'config', refs: FileReference[], defs: Record<string, FileObject>): string | undefined {
  for (const ref of refs) {
    const def = defs[ref.source];
    if (def?.external) return `${kind} "${ref.source}" is external: it lives in a swarm, and without one (as with docker compose up) there is nothing to read it from`;
    if (def?.environment !== undefined && def.value === undefined) return `${kind} "${ref.source}" reads the environment variable ${def.environment}, which is not set`;
  }
  return undefined;
}

const DATA_TODO = 'give it file: or environment: with a variable that is set (in the environment or .env)';

/** Whether any secret or config of the service is copied in on Docker (data, or a file with uid/gid/mode). */
function copiesFiles(service: Service, stack: Stack): boolean {
  const copied = (refs: FileReference[], defs: Record<string, FileObject>) =>
    refs.some((r) => r.uid !== undefined || r.gid !== undefined || r.mode !== undefined || defs[r.source]?.file === undefined);
  return copied(service.secrets, stack.secrets) || copied(service.configs, stack.configs);
}

/** Docker's and Node's names of this machine's architecture. */
const HOST_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** Why `platform` (os/arch[/variant]) is not this machine's, or undefined when it is. */
export function foreignPlatform(platform: string | undefined, arch: string = os.arch()): string | undefined {
  if (platform === undefined) return undefined;
  const [osName = '', cpu = ''] = platform.toLowerCase().split('/');
  const host = HOST_ARCH[arch] ?? arch;
  if (osName === 'linux' && (cpu === '' || cpu === host || (cpu === 'x86_64' && host === 'amd64') || (cpu === 'aarch64' && host === 'arm64'))) return undefined;
  return `platform "${platform}" is not this machine's (linux/${host}): the embedded runtime runs images natively, without emulation`;
}

/** Rows for SUPPORT_RULES. */
export const FILES_AND_LOGGING_RULES: readonly SupportRule[] = [
  ...BOTH.flatMap((runtime): SupportRule[] => [
    { runtime, key: 'secrets', refuse: (s, stack) => missingData('secret', s.secrets, stack.secrets), todo: DATA_TODO },
    { runtime, key: 'configs', refuse: (s, stack) => missingData('config', s.configs, stack.configs), todo: DATA_TODO.replace('file: or', 'file:, content: or') },
    {
      runtime,
      key: 'pull_policy',
      refuse: (s) => (s.pull_policy === 'refresh' ? 'pulling again when the local image is older than a given time is not supported yet' : undefined),
      todo: 'use pull_policy: always (pull at every up) or missing, or run `stack pull` when you want a fresh image',
    },
    {
      runtime,
      key: 'deploy.resources.reservations.generic_resources',
      refuse: (s) => (s.reservations.generic_resources ? 'generic resources are a swarm scheduling feature, and there is no swarm' : undefined),
      todo: 'remove them',
    },
  ]),
  // Embedded: what it keeps is a rotated log file; no OCI runtime, no devices, no emulation.
  {
    runtime: 'embedded',
    key: 'logging',
    refuse: (s) => embeddedLoggingProblem(s.logging),
    todo: 'use driver json-file or local with max-size and max-file (or driver none), or run this service with --runtime docker',
  },
  {
    runtime: 'embedded',
    key: 'runtime',
    refuse: (s) => (s.runtime !== undefined ? `the OCI runtime "${s.runtime}" is Docker's choice; the embedded runtime runs containers itself` : undefined),
    todo: 'remove runtime:, or use --runtime docker',
  },
  {
    runtime: 'embedded',
    key: 'deploy.resources.reservations.devices',
    refuse: (s) => (s.reservations.devices ? 'device requests (GPUs) need Docker\'s device drivers' : undefined),
    todo: 'remove them, or use --runtime docker',
  },
  {
    runtime: 'embedded',
    key: 'platform',
    refuse: (s) => foreignPlatform(s.platform),
    todo: 'remove platform:, pick an image built for this machine, or use --runtime docker with an engine that emulates it',
  },
  // Docker: a file is copied into the container's own filesystem, which read_only forbids.
  {
    runtime: 'docker',
    key: 'read_only',
    refuse: (s, stack) =>
      s.read_only && copiesFiles(s, stack)
        ? 'a read-only container cannot be given a secret or config that Docker copies in (from environment or content, or a file with uid, gid or mode)'
        : undefined,
    todo: 'use a file: secret without uid, gid and mode (it is bound read-only), or remove read_only',
  },
];

/**
 * Compose's `run` flags that change the one-off container (`--entrypoint`, `-u`, `-w`, `-v`, `-l`,
 * `--cap-add`, `--cap-drop`, `-p`, `--service-ports`, `--use-aliases`): checked against the stack
 * before anything is made (a bad value is a usage error, exit 2), then applied as Compose applies
 * them: to the service for this run (so mounts, named volumes and host folders follow the file's
 * own rules), and to the one-off's spec for its ports and network names.
 */
import type { PortMapping, Stack } from '../config/model.js';
import { ALL_INTERFACES, DEFAULT_HOST_IP, parsePort } from '../config/ports.js';
import { splitShellWords } from '../config/shell-words.js';
import { parseVolume } from '../config/volumes.js';
import { UsageError } from '../errors.js';
import type { ContainerSpec } from '../runtime/runtime.js';

/** The flags as commander gives them. */
export interface RunSpecFlags {
  entrypoint?: string;
  user?: string;
  workdir?: string;
  volume: string[];
  label: string[];
  capAdd: string[];
  capDrop: string[];
  publish: string[];
  servicePorts?: boolean;
  useAliases?: boolean;
}

/** What the flags make of one run: the stack to run the one-off from, and the change to its spec. */
export interface RunSpecChange {
  stack: Stack;
  adjust: (spec: ContainerSpec) => void;
}

/** Reads the flags against `stack`; throws a UsageError naming the flag and value that is wrong. */
export function runSpecChange(stack: Stack, service: string, flags: RunSpecFlags, env: NodeJS.ProcessEnv = process.env): RunSpecChange {
  const def = stack.services[service]!;
  const entrypoint = flags.entrypoint === undefined ? undefined : value('--entrypoint', flags.entrypoint, () => splitShellWords(flags.entrypoint!));
  const volumes = flags.volume.map((v) =>
    value('--volume', v, () => {
      const m = parseVolume(v, { dir: stack.dir, ...(env.HOME ? { home: env.HOME } : {}) });
      if (m.type === 'volume' && m.source !== undefined && !stack.volumes[m.source]) {
        throw new Error(`the volume "${m.source}" is not in the file's volumes:; declare it there, or give a host path (./dir or /dir)`);
      }
      return m;
    }),
  );
  const labels = Object.fromEntries(
    flags.label.map((l) =>
      value('--label', l, () => {
        const at = l.indexOf('=');
        if (at === 0) throw new Error('expected KEY=VALUE or KEY');
        return at < 0 ? [l, ''] : [l.slice(0, at), l.slice(at + 1)];
      }),
    ),
  );
  const hostIp = env.HAFEN_PUBLISH_ALL === '1' ? ALL_INTERFACES : DEFAULT_HOST_IP;
  const publish: PortMapping[] = flags.publish.flatMap((p) => value('--publish', p, () => parsePort(p, hostIp)));
  const changed = {
    ...def,
    ...(entrypoint !== undefined ? { entrypoint } : {}),
    ...(flags.user !== undefined ? { user: flags.user } : {}),
    ...(flags.workdir !== undefined ? { working_dir: flags.workdir } : {}),
    volumes: [...def.volumes, ...volumes],
    labels: { ...def.labels, ...labels },
    cap_add: [...def.cap_add, ...flags.capAdd],
    cap_drop: [...def.cap_drop, ...flags.capDrop],
  };
  return {
    stack: { ...stack, services: { ...stack.services, [service]: changed } },
    adjust: (spec) => {
      // Compose's run publishes the service's ports only with --service-ports; -p adds its own.
      spec.ports = [...(flags.servicePorts ? def.ports.map((p) => ({ ...p })) : []), ...publish];
      // The service's names on its networks only with --use-aliases (a one-off is not one of its replicas).
      spec.networks = spec.networks.map((n) => ({ ...n, aliases: flags.useAliases ? n.aliases.filter((a) => a !== `${service}-1`) : [] }));
    },
  };
}

function value<T>(flag: string, text: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new UsageError(`${flag} ${text}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

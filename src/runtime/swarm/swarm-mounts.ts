/**
 * A service's `volumes:` and `tmpfs:` as a Swarm ContainerSpec's mounts. A named volume is the
 * engine's local volume on whichever node runs the task, made there on first use with the
 * stack's driver options and labels (as docker stack deploy does), under its project-prefixed name.
 */
import type { Service, Volume, VolumeMount } from '../../config/model.js';
import { STACK_NAMESPACE_LABEL } from './stack-names.js';

/** One mount of the Engine API's ContainerSpec (dockerode's type makes optional fields required). */
export interface SwarmMount {
  Type: 'volume' | 'bind' | 'tmpfs';
  Target: string;
  Source?: string;
  ReadOnly: boolean;
  BindOptions?: { Propagation: string };
  VolumeOptions?: { Labels: Record<string, string>; DriverConfig?: { Name: string; Options: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** What a mount needs beyond the service: the stack's volumes by key. */
export interface MountContext {
  project: string;
  volumes: Record<string, Volume>;
}

/** The service's mounts in order: `volumes:` entries, then `tmpfs:` paths. */
export function swarmMounts(service: Service, ctx: MountContext): SwarmMount[] {
  return [...service.volumes.map((m) => volumeMount(m, ctx)), ...service.tmpfs.map(tmpfsMount)];
}

function volumeMount(m: VolumeMount, ctx: MountContext): SwarmMount {
  switch (m.type) {
    case 'volume': {
      if (m.source === undefined) return { Type: 'volume', Target: m.target, ReadOnly: m.read_only };
      const volume = ctx.volumes[m.source];
      const name = volume?.name ?? `${ctx.project}_${m.source}`;
      if (!volume || volume.external) return { Type: 'volume', Source: name, Target: m.target, ReadOnly: m.read_only };
      const driverOpts = Object.keys(volume.driver_opts).length > 0 ? { DriverConfig: { Name: 'local', Options: { ...volume.driver_opts } } } : {};
      return {
        Type: 'volume',
        Source: name,
        Target: m.target,
        ReadOnly: m.read_only,
        VolumeOptions: { Labels: { ...volume.labels, [STACK_NAMESPACE_LABEL]: ctx.project }, ...driverOpts },
      };
    }
    case 'bind':
      // Swarm does not make a missing bind source; the task fails on a node that lacks it.
      return {
        Type: 'bind',
        Source: m.source,
        Target: m.target,
        ReadOnly: m.read_only,
        ...(m.propagation ? { BindOptions: { Propagation: m.propagation } } : {}),
      };
    case 'tmpfs': {
      const opts = { ...(m.size !== undefined ? { SizeBytes: m.size } : {}), ...(m.mode !== undefined ? { Mode: m.mode } : {}) };
      return { Type: 'tmpfs', Target: m.target, ReadOnly: false, ...(Object.keys(opts).length > 0 ? { TmpfsOptions: opts } : {}) };
    }
    default: {
      const never: never = m;
      return never;
    }
  }
}

/** `tmpfs:` entries (`/run` or `/run:size=64m,mode=1777`): size and mode are what a Swarm tmpfs mount takes. */
function tmpfsMount(entry: string): SwarmMount {
  const { target, size, mode } = parseTmpfsEntry(entry);
  const opts = { ...(size !== undefined ? { SizeBytes: size } : {}), ...(mode !== undefined ? { Mode: mode } : {}) };
  return { Type: 'tmpfs', Target: target, ReadOnly: false, ...(Object.keys(opts).length > 0 ? { TmpfsOptions: opts } : {}) };
}

/** A `tmpfs:` entry split into its path, size (bytes), mode and the options a Swarm mount cannot take. */
export function parseTmpfsEntry(entry: string): { target: string; size?: number; mode?: number; other: string[] } {
  const colon = entry.indexOf(':');
  const target = colon < 0 ? entry : entry.slice(0, colon);
  const out: { target: string; size?: number; mode?: number; other: string[] } = { target, other: [] };
  if (colon < 0) return out;
  for (const opt of entry.slice(colon + 1).split(',').filter(Boolean)) {
    const [key, value = ''] = opt.split('=');
    if (key === 'size' && SIZE.test(value)) out.size = sizeBytes(value);
    else if (key === 'mode' && /^[0-7]{3,4}$/.test(value)) out.mode = parseInt(value, 8);
    else out.other.push(opt);
  }
  return out;
}

const SIZE = /^(\d+)([kmg]?)b?$/i;
const UNIT: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

function sizeBytes(text: string): number {
  const [, n = '0', unit = ''] = SIZE.exec(text) ?? [];
  return Number(n) * UNIT[unit.toLowerCase()]!;
}

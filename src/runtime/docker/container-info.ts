/** What Docker's inspect says of a container, as the runtime interface reports it (pure). */
import type Docker from 'dockerode';
import type { Protocol } from '../../config/model.js';
import type { ContainerInfo, ContainerState, Health, PortBinding } from '../runtime.js';
import { IMAGE_REF_LABEL } from './create-options.js';

const NEVER = '0001-01-01T00:00:00Z';

/** `inspect` of one container as ContainerInfo; `host` is the engine's name or address. */
export function containerInfo(inspect: Docker.ContainerInspectInfo, host: string): ContainerInfo {
  const state = inspect.State;
  const labels = { ...(inspect.Config.Labels ?? {}) };
  const image = labels[IMAGE_REF_LABEL] ?? inspect.Config.Image;
  delete labels[IMAGE_REF_LABEL];
  const info: ContainerInfo = {
    id: inspect.Id,
    name: inspect.Name.replace(/^\//, ''),
    image,
    labels,
    state: containerState(state.Status),
    health: health(state.Health?.Status),
    oomKilled: state.OOMKilled,
    createdAt: inspect.Created,
    ports: portBindings(inspect.NetworkSettings.Ports),
    // On the host's network the container's ports are the engine host's own (here: this machine's loopback).
    addresses: inspect.HostConfig?.NetworkMode === 'host' ? { host: '127.0.0.1' } : Object.fromEntries(
      Object.entries(inspect.NetworkSettings.Networks ?? {})
        .filter(([, n]) => n.IPAddress)
        .map(([name, n]) => [name, n.IPAddress]),
    ),
    host,
    restartCount: inspect.RestartCount,
    command: [inspect.Path, ...(inspect.Args ?? [])].filter((a) => a !== ''),
  };
  if (info.state === 'exited' || info.state === 'dead') info.exitCode = state.ExitCode;
  if (state.StartedAt && state.StartedAt !== NEVER) info.startedAt = state.StartedAt;
  if (state.FinishedAt && state.FinishedAt !== NEVER && info.state !== 'running' && info.state !== 'paused') info.finishedAt = state.FinishedAt;
  return info;
}

/** Docker's status word as ours: a restarting container still counts as running. */
function containerState(status: string): ContainerState {
  switch (status) {
    case 'created':
      return 'created';
    case 'paused':
      return 'paused';
    case 'running':
    case 'restarting':
      return 'running';
    case 'dead':
      return 'dead';
    default:
      return 'exited';
  }
}

function health(status: string | undefined): Health {
  return status === 'starting' || status === 'healthy' || status === 'unhealthy' ? status : 'none';
}

/** Published ports as bound now (none while stopped). */
function portBindings(ports: Docker.PortMap | undefined): PortBinding[] {
  const out: PortBinding[] = [];
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const [target, protocol] = key.split('/') as [string, Protocol];
    for (const b of bindings ?? []) out.push({ target: Number(target), protocol, hostIp: b.HostIp ?? '', hostPort: Number(b.HostPort) });
  }
  return out;
}

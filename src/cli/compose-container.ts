/**
 * A container as `docker compose ps --format json` describes it: Compose's field names and value
 * forms (Docker's `Up 5 minutes`, `Exited (0) 2 seconds ago`, `0.0.0.0:8080->80/tcp`), so scripts
 * written for Compose read hafen's output unchanged. Pure: the clock is passed in.
 */
import { Label, type ContainerInfo } from '../runtime/runtime.js';
import type { ReadyState } from '../orchestrator/ready-records.js';

/** One published port, as Compose's `Publishers` lists it. */
export interface ComposePublisher {
  URL: string;
  TargetPort: number;
  PublishedPort: number;
  Protocol: string;
}

/** One line of `ps --format json`; the field names are Compose's and stay as they are. */
export interface ComposeContainer {
  ID: string;
  Name: string;
  Names: string;
  Image: string;
  Command: string;
  Project: string;
  Service: string;
  CreatedAt: string;
  RunningFor: string;
  State: string;
  Status: string;
  /** `healthy`, `unhealthy`, `starting`, or empty; a `ready:` check counts as Compose counts a healthcheck. */
  Health: string;
  ExitCode: number;
  Publishers: ComposePublisher[];
  Labels: string;
  Networks: string;
  Ports: string;
  LocalVolumes: string;
  Mounts: string;
}

/** The fields a `--format` template can name, in Compose's order of `ps --format json`. */
export const COMPOSE_FIELDS = [
  'ID',
  'Name',
  'Names',
  'Image',
  'Command',
  'Project',
  'Service',
  'CreatedAt',
  'RunningFor',
  'State',
  'Status',
  'Health',
  'ExitCode',
  'Publishers',
  'Labels',
  'Networks',
  'Ports',
  'LocalVolumes',
  'Mounts',
] as const satisfies readonly (keyof ComposeContainer)[];

export type ComposeField = (typeof COMPOSE_FIELDS)[number];

/** Column titles of a `table` template, as Docker's CLI heads them. */
export const COMPOSE_HEADERS: Record<ComposeField, string> = {
  ID: 'CONTAINER ID',
  Name: 'NAME',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  Project: 'PROJECT',
  Service: 'SERVICE',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  State: 'STATE',
  Status: 'STATUS',
  Health: 'HEALTH',
  ExitCode: 'EXIT CODE',
  Publishers: 'PUBLISHERS',
  Labels: 'LABELS',
  Networks: 'NETWORKS',
  Ports: 'PORTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Mounts: 'MOUNTS',
};

/** What a `ready:` check's state reads as in Compose's health vocabulary. */
const READY_AS_HEALTH: Record<ReadyState, string> = { ready: 'healthy', checking: 'starting', unready: 'unhealthy' };

/** The container `c` of `project` in Compose's terms at time `now` (epoch ms); `ready` is its `ready:` check's state. */
export function composeContainer(c: ContainerInfo, now: number, ready?: ReadyState): ComposeContainer {
  const health = c.health !== 'none' ? c.health : ready ? READY_AS_HEALTH[ready] : '';
  return {
    ID: c.id,
    Name: c.name,
    Names: c.name,
    Image: c.image,
    Command: (c.command ?? []).join(' '),
    Project: c.labels[Label.project] ?? '',
    Service: c.labels[Label.service] ?? '',
    CreatedAt: goTime(c.createdAt),
    RunningFor: `${humanDuration(now - Date.parse(c.createdAt))} ago`,
    State: c.state,
    Status: dockerStatus(c, now, health),
    Health: health,
    ExitCode: c.exitCode ?? 0,
    Publishers: c.ports.map((p) => ({ URL: p.hostIp, TargetPort: p.target, PublishedPort: p.hostPort, Protocol: p.protocol })),
    Labels: Object.keys(c.labels)
      .sort()
      .map((k) => `${k}=${c.labels[k]}`)
      .join(','),
    Networks: Object.keys(c.addresses).sort().join(','),
    Ports: c.ports.map((p) => `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:${p.hostPort}->${p.target}/${p.protocol}`).join(', '),
    LocalVolumes: '0',
    Mounts: '',
  };
}

/** Docker's STATUS: `Up 5 minutes (healthy)`, `Exited (1) 3 seconds ago`, `Created`. */
export function dockerStatus(c: ContainerInfo, now: number, health: string): string {
  switch (c.state) {
    case 'running':
      return `Up ${humanDuration(now - Date.parse(c.startedAt ?? c.createdAt))}${health ? ` (${health})` : ''}`;
    case 'exited': {
      const ended = c.finishedAt ? ` ${humanDuration(now - Date.parse(c.finishedAt))} ago` : '';
      return `Exited (${c.exitCode ?? 0})${ended}`;
    }
    case 'created':
      return 'Created';
    case 'dead':
      return 'Dead';
    default: {
      // States a runtime may add later (paused, restarting) read as Docker writes them.
      const state: string = c.state;
      return state.charAt(0).toUpperCase() + state.slice(1);
    }
  }
}

/** Go's `time.Time.String()` in UTC, as Compose prints CreatedAt: `2026-12-05 23:02:28 +0000 UTC`. */
export function goTime(iso: string): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return '';
  return `${t.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

/** Docker's human duration (go-units HumanDuration): `Less than a second`, `About a minute`, `3 hours`, `2 weeks`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(Math.max(0, ms) / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

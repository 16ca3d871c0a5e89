/**
 * The dashboard's state as plain data, and the actions that change it. `reduce.ts` is the only
 * function that makes a new state; components read it, the data source and the keys send actions.
 */
import type { DependencyCondition, Stack } from '../config/model.js';
import type { ErrorInfo, Event, ServiceState } from '../executor/events.js';
import { buildGraph } from '../planner/index.js';
import type { ContainerInfo, ContainerStats, Health, PortBinding } from '../runtime/runtime.js';
import type { Tone } from '../renderers/describe.js';
import type { ReadyState } from '../orchestrator/ready-records.js';

/** A service of the stack file, as the table and the tree need it. */
export interface ServiceEntry {
  name: string;
  replicas: number;
  image?: string;
  command?: string[];
  environment: Record<string, string>;
  networks: string[];
  dependsOn: { to: string; condition: DependencyCondition }[];
}

/** One line of the services table: a container, or a service that has none yet. */
export interface Row {
  /** The container's runtime name, or `service:NAME` when there is no container. */
  key: string;
  service: string;
  instance: number;
  /** `web`, or `api-2` for a service with replicas. */
  name: string;
  container?: string;
  /** The runtime's state (`running`, `exited`, …), or `absent`. */
  state: ContainerInfo['state'] | 'absent';
  health: Health;
  /** Its `ready:` check's state for this run, when the service has one. */
  ready?: ReadyState;
  exitCode?: number;
  oomKilled: boolean;
  startedAt?: string;
  restarts: number;
  cpuPercent?: number;
  memoryBytes?: number;
  memoryLimit?: number;
  ports: PortBinding[];
  image?: string;
  addresses: Record<string, string>;
  host?: string;
}

/** A line of `up`'s progress that is finished: printed once, in `<Static>`. */
export interface DoneLine {
  id: number;
  label: string;
  text: string;
  tone: Tone;
  /** Further lines under it (a failure's log tail). */
  more: string[];
}

/** Where a plan run is, for the progress view of `up --dash`. */
export interface PlanProgress {
  action: string;
  startedAt: number;
  names: string[];
  /** Live lines by label, in the order they appeared. */
  live: Record<string, { text: string; tone: Tone }>;
  /** When each container started, for `ready (1.2s)`. */
  starts: Record<string, number>;
  done?: { ok: boolean; ms: number; error?: ErrorInfo };
}

/** How a state reads at a glance; the theme gives each a colour. */
export type { Tone };

/** A log line as the log pane keeps it. */
export interface LogEntry {
  seq: number;
  service: string;
  name: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** The latest result of one readiness check of a container. */
export interface ProbeResult {
  check: string;
  ok: boolean;
  detail: string;
  attempt: number;
}

export type Pane = 'logs' | 'details' | 'tree';
export type Overlay = 'help' | 'confirm-down';
export type StatusTone = 'info' | 'busy' | 'ok' | 'error';

/** Everything the dashboard shows. */
export interface DashState {
  project: string;
  /** `stack -f FILE -p NAME`, as the user would type it again (for `x`). */
  commandPrefix: string;
  services: ServiceEntry[];
  rows: Row[];
  /** CPU time of each container at the last snapshot, for CPU % from the difference. */
  cpuSamples: Record<string, { nanos: number; time: number }>;
  /** A container's state while an action or `up` works on it (`stopping`, `checking`), by display name. */
  activity: Record<string, ServiceState>;
  probes: Record<string, ProbeResult[]>;
  plan?: PlanProgress;
  doneLines: DoneLine[];
  logs: LogEntry[];
  logSeq: number;
  selected?: string;
  pane: Pane;
  logScope: 'all' | 'selected';
  /** The applied regex filter (source text); '' for none. */
  filter: string;
  /** The filter being typed after `/`; undefined when not typing. */
  filterDraft?: string;
  /** The last log seq shown when paused; undefined when following. */
  pausedAt?: number;
  overlay?: Overlay;
  status?: { text: string; tone: StatusTone };
  /** An action under way (only one at a time). */
  busy?: string;
  /** The stack was taken down from here: nothing more to poll. */
  down: boolean;
  /** A first snapshot arrived. */
  observed: boolean;
}

/** What changes the state. */
export type Action =
  | { type: 'snapshot'; time: number; containers: ContainerInfo[]; stats: Record<string, ContainerStats>; /** `ready:` check states by container (ready-records.ts). */ ready?: Record<string, ReadyState> }
  | { type: 'event'; event: Event }
  | { type: 'move'; by: number }
  | { type: 'pane'; pane: Pane }
  | { type: 'log-scope'; scope: 'all' | 'selected' }
  | { type: 'filter-start' }
  | { type: 'filter-input'; text: string }
  | { type: 'filter-apply' }
  | { type: 'filter-cancel' }
  | { type: 'pause-toggle' }
  | { type: 'overlay'; overlay?: Overlay }
  | { type: 'status'; text: string; tone: StatusTone }
  | { type: 'busy'; what?: string }
  | { type: 'down' };

/** How many log lines the pane keeps. */
export const LOG_LIMIT = 2000;

/** The services of the stack file that take part (no profile, or an enabled one), in start order. */
export function serviceEntries(stack: Stack, profiles: readonly string[] = []): ServiceEntry[] {
  const graph = buildGraph(stack);
  const enabled = new Set(profiles);
  return graph.order
    .map((name) => stack.services[name]!)
    .filter((s) => s.profiles.length === 0 || enabled.has('*') || s.profiles.some((p) => enabled.has(p)))
    .map((s) => ({
      name: s.name,
      replicas: s.replicas,
      ...(s.image !== undefined ? { image: s.image } : s.build ? { image: `(built from ${s.build.context})` } : {}),
      ...(s.command?.length ? { command: [...(s.entrypoint ?? []), ...s.command] } : s.entrypoint?.length ? { command: s.entrypoint } : {}),
      environment: s.environment,
      networks: Object.keys(s.networks),
      dependsOn: (graph.dependencies.get(s.name) ?? []).map((e) => ({ to: e.to, condition: e.condition })),
    }));
}

/** The state before the first snapshot. */
export function initialState(options: { project: string; commandPrefix: string; services: ServiceEntry[] }): DashState {
  return {
    project: options.project,
    commandPrefix: options.commandPrefix,
    services: options.services,
    rows: [],
    cpuSamples: {},
    activity: {},
    probes: {},
    doneLines: [],
    logs: [],
    logSeq: 0,
    pane: 'logs',
    logScope: 'all',
    filter: '',
    down: false,
    observed: false,
  };
}

/** The selected row, if any. */
export function selectedRow(state: DashState): Row | undefined {
  return state.rows.find((r) => r.key === state.selected) ?? state.rows[0];
}

/** The filter as a RegExp (case-insensitive), or an error message for one that does not compile. */
export function compileFilter(source: string): RegExp | { error: string } | undefined {
  if (source === '') return undefined;
  try {
    return new RegExp(source, 'i');
  } catch (err) {
    return { error: (err as Error).message.replace(/^Invalid regular expression: /, '') };
  }
}

/** The regex the log pane filters by: the draft while typing (when it compiles), else the applied one. */
export function activeFilter(state: DashState): RegExp | undefined {
  if (state.filterDraft !== undefined) {
    const draft = compileFilter(state.filterDraft);
    if (!(draft && 'error' in draft)) return draft;
  }
  const applied = compileFilter(state.filter);
  return applied instanceof RegExp ? applied : undefined;
}

/** The log lines the pane shows: in scope, up to the pause, matching the filter. */
export function visibleLogs(state: DashState): LogEntry[] {
  const row = selectedRow(state);
  const re = activeFilter(state);
  return state.logs.filter(
    (l) =>
      (state.pausedAt === undefined || l.seq <= state.pausedAt) &&
      (state.logScope === 'all' || !row || l.name === row.name) &&
      (!re || re.test(l.text)),
  );
}

/** The dashboard's one reducer: (state, action) → state, pure, so every view change is testable without a terminal. */
import { formatDuration } from '../executor/duration.js';
import type { Event, ServiceState } from '../executor/events.js';
import { assertNever } from '../planner/plan.js';
import { failureLines, isContainerOp, isFinalState, opBusyText, opDoneText, opLabel, stateText, stateTone } from '../renderers/describe.js';

export { stateTone };
import { Label, type ContainerInfo, type ContainerStats } from '../runtime/runtime.js';
import type { ReadyState } from '../orchestrator/ready-records.js';
import { compileFilter, LOG_LIMIT, type Action, type DashState, type DoneLine, type Row, type Tone } from './model.js';

export function reduce(state: DashState, action: Action): DashState {
  switch (action.type) {
    case 'snapshot':
      return withSelection(snapshot(state, action.time, action.containers, action.stats, action.ready ?? {}));
    case 'event':
      return onEvent(state, action.event);
    case 'move': {
      const at = Math.max(0, state.rows.findIndex((r) => r.key === state.selected));
      const next = state.rows[Math.min(state.rows.length - 1, Math.max(0, at + action.by))];
      return next ? { ...state, selected: next.key } : state;
    }
    case 'pane':
      return { ...state, pane: action.pane };
    case 'log-scope':
      return { ...state, pane: 'logs', logScope: action.scope };
    case 'filter-start':
      return { ...state, pane: 'logs', filterDraft: state.filter };
    case 'filter-input':
      return { ...state, filterDraft: action.text };
    case 'filter-apply': {
      const draft = state.filterDraft ?? state.filter;
      const compiled = compileFilter(draft);
      if (compiled && 'error' in compiled) return { ...state, status: { text: `filter /${draft}/: ${compiled.error}`, tone: 'error' } };
      const { filterDraft: _, ...rest } = state;
      return { ...rest, filter: draft, status: { text: draft ? `log filter /${draft}/ (/ then enter on nothing clears it)` : 'log filter cleared', tone: 'info' } };
    }
    case 'filter-cancel': {
      const { filterDraft: _, ...rest } = state;
      return rest;
    }
    case 'pause-toggle': {
      if (state.pausedAt === undefined) return { ...state, pausedAt: state.logSeq, status: { text: 'logs paused (p resumes)', tone: 'info' } };
      const { pausedAt: _, ...rest } = state;
      return { ...rest, status: { text: 'logs following again', tone: 'info' } };
    }
    case 'overlay': {
      const { overlay: _, ...rest } = state;
      return action.overlay ? { ...rest, overlay: action.overlay } : rest;
    }
    case 'status':
      return { ...state, status: { text: action.text, tone: action.tone } };
    case 'busy': {
      const { busy: _, ...rest } = state;
      return action.what ? { ...rest, busy: action.what } : rest;
    }
    case 'down':
      return { ...state, down: true, rows: absentRows(state, []), activity: {} };
    default:
      return assertNever(action);
  }
}

/** `db`, or `api-2` for an instance of a service with replicas (or one no longer in the file). */
function displayName(state: DashState, service: string, instance: number): string {
  const replicas = state.services.find((s) => s.name === service)?.replicas;
  return replicas === 1 && instance === 1 ? service : `${service}-${instance}`;
}

function snapshot(state: DashState, time: number, all: ContainerInfo[], stats: Record<string, ContainerStats>, ready: Record<string, ReadyState>): DashState {
  const containers = all.filter((c) => !c.labels[Label.oneOff]);
  const cpuSamples: DashState['cpuSamples'] = {};
  const rows = containers.map((c): Row => {
    const service = c.labels[Label.service] ?? c.name;
    const instance = Number(c.labels[Label.instance] ?? 1);
    const s = c.state === 'running' ? stats[c.name] : undefined;
    let cpuPercent: number | undefined;
    if (s) {
      const prev = state.cpuSamples[c.name];
      cpuSamples[c.name] = { nanos: s.cpuNanos, time };
      if (prev && time > prev.time && s.cpuNanos >= prev.nanos) cpuPercent = ((s.cpuNanos - prev.nanos) / ((time - prev.time) * 1e6)) * 100;
    }
    return {
      key: c.name,
      service,
      instance,
      name: displayName(state, service, instance),
      container: c.name,
      state: c.state,
      health: c.health,
      ...(ready[c.name] ? { ready: ready[c.name] } : {}),
      ...(c.exitCode !== undefined && c.state !== 'running' ? { exitCode: c.exitCode } : {}),
      oomKilled: c.oomKilled,
      ...(c.startedAt ? { startedAt: c.startedAt } : {}),
      restarts: c.restartCount ?? 0,
      ...(cpuPercent !== undefined ? { cpuPercent } : {}),
      ...(s ? { memoryBytes: s.memoryBytes } : {}),
      ...(s?.memoryLimit !== undefined ? { memoryLimit: s.memoryLimit } : {}),
      ports: c.ports,
      image: c.image,
      addresses: c.addresses,
      host: c.host,
    };
  });
  return { ...state, rows: absentRows(state, rows), cpuSamples, observed: true };
}

/** The rows, plus one for each service without a container, in the file's start order, then by instance. */
function absentRows(state: DashState, rows: Row[]): Row[] {
  const present = new Set(rows.map((r) => r.service));
  const absent = state.services
    .filter((s) => !present.has(s.name))
    .map((s): Row => ({ key: `service:${s.name}`, service: s.name, instance: 1, name: s.name, state: 'absent', health: 'none', oomKilled: false, restarts: 0, ports: [], addresses: {} }));
  const order = new Map(state.services.map((s, i) => [s.name, i]));
  const rank = (r: Row): number => order.get(r.service) ?? order.size;
  return [...rows, ...absent].sort((a, b) => rank(a) - rank(b) || (a.service < b.service ? -1 : a.service > b.service ? 1 : a.instance - b.instance));
}

/** Keeps the selection on the same row, or the first one when it is gone. */
function withSelection(state: DashState): DashState {
  if (state.rows.some((r) => r.key === state.selected)) return state;
  const byName = state.rows.find((r) => state.selected === `service:${r.service}`);
  const next = byName ?? state.rows[0];
  if (!next) {
    const { selected: _, ...rest } = state;
    return rest;
  }
  return { ...state, selected: next.key };
}

/** States an action passes through; any other ends the activity, and the next snapshot tells the truth. */
const TRANSIENT: ReadonlySet<ServiceState> = new Set(['waiting', 'creating', 'starting', 'checking', 'stopping', 'removing']);

function onEvent(state: DashState, e: Event): DashState {
  switch (e.kind) {
    case 'plan-start':
      return { ...state, plan: { action: e.action, startedAt: e.time, names: e.names, live: {}, starts: {} } };
    case 'op-start':
    case 'op-progress': {
      const busy = opBusyText(e.operation);
      if (!busy || !state.plan) return state;
      const text = e.kind === 'op-progress' ? `${busy}: ${e.text}` : busy;
      return setLive(state, opLabel(e), text, 'busy');
    }
    case 'op-done': {
      const done = opDoneText(e.operation, e.ms);
      return done ? commit(state, opLabel(e), done, 'ok') : state;
    }
    case 'op-failed': {
      const { headline, more, logTail } = failureLines(e.error);
      const details = [...more, ...(logTail.length > 0 ? ['last log lines:'] : []), ...logTail.map((l) => `| ${l}`)];
      const next = { ...state, status: { text: `${opLabel(e)}: ${headline}`, tone: 'error' as const } };
      // A container's failure has its line from its `failed` state already: only the details go under it.
      if (isContainerOp(e.operation)) return details.length > 0 && next.plan ? appendDone(next, { label: '', text: '', tone: 'fail', more: details }) : next;
      return commit(next, opLabel(e), `failed: ${headline}`, 'fail', details);
    }
    case 'op-skipped': {
      if (e.operation !== 'start-container' && isContainerOp(e.operation)) return state;
      return commit(state, opLabel(e), e.operation === 'start-container' ? 'not started' : 'skipped', 'idle');
    }
    case 'service-state': {
      const activity = { ...state.activity };
      if (TRANSIENT.has(e.state)) activity[e.name] = e.state;
      else delete activity[e.name];
      let next: DashState = { ...state, activity };
      if (!next.plan) return next;
      const starts = e.state === 'starting' ? { ...next.plan.starts, [e.name]: e.time } : next.plan.starts;
      next = { ...next, plan: { ...next.plan, starts } };
      const since = starts[e.name];
      const text = stateText(e.state, e, since === undefined ? undefined : e.time - since);
      return isFinalState(e.state) ? commit(next, e.name, text, stateTone(e.state, e.exitCode)) : setLive(next, e.name, text, stateTone(e.state, e.exitCode));
    }
    case 'probe': {
      const others = (state.probes[e.name] ?? []).filter((p) => p.check !== e.check);
      const probes = { ...state.probes, [e.name]: [...others, { check: e.check, ok: e.ok, detail: e.detail, attempt: e.attempt }] };
      const live = state.plan?.live[e.name];
      const next = { ...state, probes };
      return live && !e.ok ? setLive(next, e.name, `checking ${e.check}: ${e.detail}`, 'busy') : next;
    }
    case 'log': {
      const seq = state.logSeq + 1;
      const entry = { seq, service: e.service, name: e.name, stream: e.stream, text: printable(e.text) };
      const logs = state.logs.length >= LOG_LIMIT ? [...state.logs.slice(state.logs.length - LOG_LIMIT + 1), entry] : [...state.logs, entry];
      return { ...state, logs, logSeq: seq };
    }
    case 'plan-done': {
      // What the run left half way (a readiness check it gave up) is for the next snapshot to tell.
      if (!state.plan) return { ...state, activity: {} };
      let next: DashState = { ...state, activity: {} };
      for (const [label, row] of Object.entries(state.plan.live)) next = commit(next, label, row.text, row.tone);
      const summary = e.ok ? `done in ${formatDuration(e.ms)}` : `failed after ${formatDuration(e.ms)}`;
      next = appendDone(next, { label: '', text: summary, tone: e.ok ? 'ok' : 'fail', more: [] });
      return { ...next, plan: { ...next.plan!, live: {}, done: { ok: e.ok, ms: e.ms, ...(e.error ? { error: e.error } : {}) } } };
    }
    default:
      return assertNever(e);
  }
}

function setLive(state: DashState, label: string, text: string, tone: Tone): DashState {
  if (!state.plan) return state;
  return { ...state, plan: { ...state.plan, live: { ...state.plan.live, [label]: { text, tone } } } };
}

/** A line is finished: it leaves the live ones and is kept in `doneLines` (only while a plan is shown). */
function commit(state: DashState, label: string, text: string, tone: Tone, more: string[] = []): DashState {
  if (!state.plan) return state;
  const { [label]: _, ...live } = state.plan.live;
  return appendDone({ ...state, plan: { ...state.plan, live } }, { label, text, tone, more });
}

function appendDone(state: DashState, line: Omit<DoneLine, 'id'>): DashState {
  return { ...state, doneLines: [...state.doneLines, { id: state.doneLines.length, ...line }] };
}


/** A log line safe to draw: no escape sequences or control characters, tabs as spaces. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '').replace(/\t/g, '    ').replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '');
}

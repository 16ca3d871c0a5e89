/** How the table's cells read: state, uptime, CPU, memory, ports; short, so columns stay narrow. */
import { formatUptime } from '../format/uptime.js';
import { shortBytes } from '../format/size.js';
import { formatPortsShort } from '../format/ports.js';
import { healthWithReady } from '../orchestrator/ready-records.js';
import type { PortBinding } from '../runtime/runtime.js';
import type { DashState, Row, Tone } from './model.js';

/** A state cell and its tone: what an action is doing to it first, else what the runtime says. */
export function stateCell(row: Row, activity: DashState['activity']): { text: string; tone: Tone } {
  const doing = activity[row.name];
  if (doing) return { text: `${doing}…`, tone: 'busy' };
  switch (row.state) {
    case 'running':
      return { text: 'running', tone: 'ok' };
    case 'paused':
      return { text: 'paused', tone: 'busy' };
    case 'exited': {
      const code = row.exitCode ?? 0;
      return { text: `exited ${code}${row.oomKilled ? ' OOM' : ''}`, tone: code === 0 && !row.oomKilled ? 'idle' : 'fail' };
    }
    case 'created':
      return { text: 'created', tone: 'idle' };
    case 'dead':
      return { text: 'dead', tone: 'fail' };
    case 'absent':
      return { text: 'not created', tone: 'idle' };
  }
}

export function healthCell(row: Row): { text: string; tone: Tone } {
  // A `ready:` check (hafen's own gate) shows beside the healthcheck, or alone: `healthy, ready`.
  if (row.ready) {
    const text = healthWithReady(row.health, row.ready);
    const failed = row.ready === 'unready' || row.health === 'unhealthy';
    const busy = row.ready === 'checking' || row.health === 'starting';
    return { text, tone: failed ? 'fail' : busy ? 'busy' : 'ok' };
  }
  switch (row.health) {
    case 'healthy':
      return { text: 'healthy', tone: 'ok' };
    case 'unhealthy':
      return { text: 'unhealthy', tone: 'fail' };
    case 'starting':
      return { text: 'starting', tone: 'busy' };
    case 'none':
      return { text: '', tone: 'idle' };
  }
}

export function uptimeCell(row: Row, now: number): string {
  return row.state === 'running' && row.startedAt ? formatUptime(now - Date.parse(row.startedAt)) : '';
}

export function cpuCell(row: Row): string {
  if (row.cpuPercent === undefined) return row.state === 'running' ? '…' : '';
  return row.cpuPercent < 10 ? row.cpuPercent.toFixed(1) : String(Math.round(row.cpuPercent));
}

/** Limits this large mean "none" (cgroup v1 reports a huge number). */
const NO_LIMIT = 2 ** 50;

/** `12M`, `12M/128M`. */
export function memoryCell(row: Row): string {
  if (row.memoryBytes === undefined) return '';
  const used = shortBytes(row.memoryBytes);
  return row.memoryLimit !== undefined && row.memoryLimit < NO_LIMIT ? `${used}/${shortBytes(row.memoryLimit)}` : used;
}

/** The ports cell: published ports in the short form (`32768→8080`). */
export function portsCell(ports: readonly PortBinding[]): string {
  return formatPortsShort(ports);
}

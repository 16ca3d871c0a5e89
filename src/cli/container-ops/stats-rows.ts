/**
 * `stack stats` rows (pure): CPU % from two samples of a container's CPU time (100% is one core
 * busy), memory as `used / limit` in binary units as `docker stats` prints them (the limit is the
 * machine's memory when the container has none), and the JSON form with docker's field names.
 */
import type { ContainerStats } from '../../runtime/runtime.js';

/** One row of `stats`. */
export interface StatsRow {
  name: string;
  id: string;
  cpuPercent: number;
  memoryBytes: number;
  memoryLimit: number;
  pids: number;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** `1.523MiB`: four significant digits and a binary unit, as docker's units.BytesSize. */
export function binarySize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toPrecision(4))}${UNITS[unit]}`;
}

/** A row from a sample and the one before it, `elapsedMs` apart (no earlier sample: 0% CPU). */
export function statsRow(name: string, id: string, now: ContainerStats, before: ContainerStats | undefined, elapsedMs: number, machineMemory: number): StatsRow {
  const cpuNs = before ? Math.max(0, now.cpuNanos - before.cpuNanos) : 0;
  return {
    name,
    id,
    cpuPercent: elapsedMs > 0 ? (cpuNs / (elapsedMs * 1e6)) * 100 : 0,
    memoryBytes: now.memoryBytes,
    memoryLimit: now.memoryLimit ?? machineMemory,
    pids: now.pids,
  };
}

const percent = (n: number): string => `${n.toFixed(2)}%`;
const memPercent = (r: StatsRow): number => (r.memoryLimit > 0 ? (r.memoryBytes / r.memoryLimit) * 100 : 0);

/** The table's header and cells. */
export function statsTable(rows: readonly StatsRow[]): string[][] {
  return [
    ['CONTAINER', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS'],
    ...rows.map((r) => [r.name, percent(r.cpuPercent), `${binarySize(r.memoryBytes)} / ${binarySize(r.memoryLimit)}`, percent(memPercent(r)), String(r.pids)]),
  ];
}

/** `--format json`: one object per container with docker stats' field names (values as strings, as docker gives them). */
export function statsJson(r: StatsRow): string {
  return JSON.stringify({
    Container: r.name,
    Name: r.name,
    ID: r.id,
    CPUPerc: percent(r.cpuPercent),
    MemUsage: `${binarySize(r.memoryBytes)} / ${binarySize(r.memoryLimit)}`,
    MemPerc: percent(memPercent(r)),
    PIDs: String(r.pids),
  });
}

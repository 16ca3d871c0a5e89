/**
 * The interactive dashboard (`stack dash`, `stack up --dash`): an Ink app over the stack's events,
 * state, stats and logs. Loaded on demand, with React's production build unless NODE_ENV says
 * otherwise (the development build costs several times the CPU on every redraw).
 */
import type { EventSink } from '../executor/events.js';
import type { DashboardOptions } from './run.js';

export type { DashboardOptions };

async function load(): Promise<typeof import('./run.js')> {
  process.env.NODE_ENV ??= 'production';
  return import('./run.js');
}

/** Whether the dashboard can run here: it needs a terminal to draw on and to read keys from. */
export function isInteractive(stdout: NodeJS.WriteStream = process.stdout, stdin: NodeJS.ReadStream = process.stdin): boolean {
  return Boolean(stdout.isTTY && stdin.isTTY);
}

/** `stack dash`: the running view until the user quits. */
export async function runDashboard(options: DashboardOptions): Promise<void> {
  return (await load()).runDashboard(options);
}

/** `stack up --dash`: up's progress, then the running view; resolves or rejects as `up` did, once the user quits. */
export async function upWithDashboard<T>(options: DashboardOptions & { signal?: AbortSignal }, up: (sink: EventSink) => Promise<T>): Promise<T> {
  return (await load()).upWithDashboard(options, up);
}

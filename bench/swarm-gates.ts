/**
 * What each gate of the swarm chain's `up` is made of (bench/swarm.ts): for every service, from its
 * creation (the manager's CreatedAt) to its container started on a node, to that container healthy
 * (the node's health_status event), to its task reported running to the manager (the task's status
 * time), to the next service's creation (hafen's own reaction). Engine times, one machine's clock.
 */
import type Docker from 'dockerode';
import type { SwarmLab } from '../src/testing/swarm-lab.js';
import { median } from './spread.js';

/** The four parts of one gate (ms); `react` is to the next service's creation (absent for the last). */
export interface GateParts {
  schedule: number;
  health: number;
  report: number;
  react?: number;
}

interface EngineEvent {
  status?: string;
  Action?: string;
  timeNano?: number;
  Actor?: { Attributes?: Record<string, string> };
}

/** Starts watching the lab's nodes for the containers of `stack`'s services; `stop` gives each gate's parts, in chain order. */
export async function watchGates(lab: SwarmLab, stack: string, services: number): Promise<{ stop(): Promise<GateParts[]> }> {
  const seen = new Map<string, { start?: number; healthy?: number }>();
  const streams = await Promise.all(
    lab.nodes.map(async (n) => {
      const filters = { type: ['container' as const], event: ['start', 'health_status'], label: [`com.docker.stack.namespace=${stack}`] };
      const stream = (await n.docker.getEvents({ filters })) as unknown as NodeJS.ReadableStream & { destroy(): void };
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines.filter((l) => l.trim())) note(JSON.parse(line) as EngineEvent);
      });
      stream.on('error', () => undefined);
      return stream;
    }),
  );
  function note(e: EngineEvent): void {
    const service = e.Actor?.Attributes?.['com.docker.swarm.service.name'];
    if (!service || e.timeNano === undefined) return;
    const at = e.timeNano / 1e6;
    const s = seen.get(service) ?? {};
    if (e.Action === 'start') s.start ??= at;
    if ((e.Action ?? e.status ?? '').startsWith('health_status: healthy')) s.healthy ??= at;
    seen.set(service, s);
  }
  return {
    async stop() {
      await new Promise((r) => setTimeout(r, 300)); // the last events on their way
      for (const s of streams) s.destroy();
      return gateParts(lab.manager.docker, stack, services, seen);
    },
  };
}

async function gateParts(m: Docker, stack: string, services: number, seen: Map<string, { start?: number; healthy?: number }>): Promise<GateParts[]> {
  const created: number[] = [];
  const running: number[] = [];
  for (let i = 1; i <= services; i++) {
    const name = `${stack}_s${i}`;
    created.push(Date.parse(((await m.getService(name).inspect()) as { CreatedAt: string }).CreatedAt));
    const tasks = (await m.listTasks({ filters: { service: [name] } })) as { Status: { State: string; Timestamp: string } }[];
    running.push(Math.min(...tasks.filter((t) => t.Status.State === 'running').map((t) => Date.parse(t.Status.Timestamp))));
  }
  return created.map((c, i) => {
    const s = seen.get(`${stack}_s${i + 1}`) ?? {};
    return {
      schedule: (s.start ?? NaN) - c,
      health: (s.healthy ?? NaN) - (s.start ?? NaN),
      report: running[i]! - (s.healthy ?? NaN),
      ...(i + 1 < created.length ? { react: created[i + 1]! - running[i]! } : {}),
    };
  });
}

/** One line per part: the median over runs of its sum over the gates, and of each gate. */
export function gateTable(runs: readonly GateParts[][]): string[] {
  const parts: [keyof GateParts, string][] = [
    ['schedule', 'created -> container started (scheduler, dispatch, node prepares)'],
    ['health', 'started -> healthy (the healthcheck interval)'],
    ['report', 'healthy -> task running at the manager'],
    ['react', 'running -> next service created (the gate sees it)'],
  ];
  return parts.map(([key, what]) => {
    const sums = runs.map((gates) => gates.reduce((a, g) => a + (g[key] ?? 0), 0));
    const each = runs[0]!.map((_, i) => median(runs.map((gates) => gates[i]![key] ?? NaN)).toFixed(0));
    return `  ${what.padEnd(68)} sum ${median(sums).toFixed(0).padStart(5)} ms; per gate ${each.join(' / ')}`;
  });
}

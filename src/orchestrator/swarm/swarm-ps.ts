/** `ps` on a Docker Swarm: the project's tasks, one row each, with the node it runs on, state, ports and health. */
import type Docker from 'dockerode';
import { Label } from '../../runtime/runtime.js';
import { projectServices, type ListedService } from '../../runtime/swarm/swarm-resources.js';
import { nodeNames, serviceTasks } from '../../runtime/swarm/swarm-tasks.js';

/** One task as `ps` shows it. */
export interface SwarmTaskRow {
  /** `api.1`. */
  name: string;
  service: string;
  node: string;
  state: string;
  desired: string;
  /** `healthy` (running with a healthcheck: Swarm reports running only once healthy), `starting`, or empty. */
  health: string;
  /** `*:8080->80/tcp` (ingress) or `8080->80/tcp` on the task's node (host mode). */
  ports: string[];
  error?: string;
  exitCode?: number;
  /** Engine time of the task's last change. */
  since: string;
}

/** The tasks of the project's services (the current ones; with `all`, their history too), by service then slot. */
export async function swarmTaskRows(docker: Docker, project: string, opts: { all?: boolean; services?: readonly string[] } = {}): Promise<SwarmTaskRow[]> {
  const [services, nodes] = await Promise.all([projectServices(docker, project), nodeNames(docker)]);
  const rows: SwarmTaskRow[] = [];
  for (const [swarmName, s] of [...services].sort(([a], [b]) => a.localeCompare(b))) {
    const service = s.Spec?.Labels?.[Label.service] ?? swarmName;
    if (opts.services?.length && !opts.services.includes(service)) continue;
    const tasks = (await serviceTasks(docker, swarmName, service, nodes)).filter((t) => opts.all || t.desired === 'running' || (t.state === 'complete' && t.desired !== 'remove'));
    const checked = hasHealthcheck(s);
    for (const t of tasks.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }))) {
      rows.push({
        name: t.name,
        service,
        node: t.node,
        state: t.state,
        desired: t.desired,
        health: !checked ? '' : t.state === 'running' ? 'healthy' : t.state === 'starting' ? 'starting' : '',
        ports: portsOf(s),
        ...(t.error ? { error: t.error } : {}),
        ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}),
        since: t.updatedAt,
      });
    }
  }
  return rows;
}

function hasHealthcheck(s: ListedService): boolean {
  // The engine answers `Healthcheck` (Go decodes our `HealthCheck` case-blind).
  const spec = s.Spec?.TaskTemplate as { ContainerSpec?: { Healthcheck?: { Test?: string[] }; HealthCheck?: { Test?: string[] } } } | undefined;
  const test = (spec?.ContainerSpec?.Healthcheck ?? spec?.ContainerSpec?.HealthCheck)?.Test;
  return test !== undefined && test.length > 0 && test[0] !== 'NONE';
}

function portsOf(s: ListedService): string[] {
  const ports = (s as ListedService & { Endpoint?: { Ports?: Docker.PortConfig[] } }).Endpoint?.Ports ?? s.Spec?.EndpointSpec?.Ports ?? [];
  return ports.map((p) => `${p.PublishMode === 'host' ? '' : '*:'}${p.PublishedPort ?? ''}->${p.TargetPort ?? ''}/${p.Protocol ?? 'tcp'}`);
}

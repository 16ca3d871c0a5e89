/**
 * What the container commands (`pause`, `unpause`, `top`, `cp`, `wait`, `stats`) share: the named
 * services checked against the stack file (when there is one), and the project's containers of
 * those services, one-offs of `stack run` left out, sorted by name.
 */
import type { Stack } from '../../config/model.js';
import { assertServicesExist } from '../../planner/select.js';
import { Label, type ContainerInfo, type Runtime } from '../../runtime/runtime.js';

/**
 * Refuses a service the stack file does not have. A project opened by its name alone (no file:
 * `-p NAME`) has no services to check against; its containers' labels say what exists.
 */
export function checkServices(stack: Stack, services: readonly string[]): void {
  if (Object.keys(stack.services).length > 0) assertServicesExist(stack, services);
}

/** The project's containers of `services` (all when empty), without one-offs, by name. */
export async function serviceContainers(runtime: Runtime, project: string, services: readonly string[]): Promise<ContainerInfo[]> {
  return (await runtime.listContainers({ [Label.project]: project }))
    .filter((c) => !c.labels[Label.oneOff])
    .filter((c) => services.length === 0 || services.includes(c.labels[Label.service] ?? ''))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Whether a container's processes live (running, or paused: frozen but there). */
export function isLive(c: ContainerInfo): boolean {
  return c.state === 'running' || c.state === 'paused';
}

/** `SERVICE`, instance number, as Compose's SERVICE and # columns show them. */
export function serviceOf(c: ContainerInfo): { service: string; instance: string } {
  return { service: c.labels[Label.service] ?? '', instance: c.labels[Label.instance] ?? '1' };
}

/** Lays out rows as columns two spaces apart (the last one not padded). */
export function columns(rows: readonly string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

/**
 * cgroups for a user without root (issue 17). Such a user may only create cgroups in a subtree
 * delegated to it: here, a hierarchy's `hafen` folder that root made and gave to the user
 * (`mkdir /sys/fs/cgroup/memory/hafen && chown -R USER /sys/fs/cgroup/memory/hafen`, per
 * controller; a systemd user slice works the same way on v2). Controllers without such a folder
 * are left out of the layout: containers then run in the cgroup of whoever started them, their
 * limits are not applied, and `up` says so once, naming the services and the limits.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Stack } from '../../../config/model.js';
import { CONTROLLERS, type CgroupLayout } from '../cgroups/detect.js';

/** The part of `layout` this user may write: controllers whose `<mount>/hafen` folder is writable. */
export function delegatedLayout(layout: CgroupLayout, writable: (dir: string) => boolean = isWritable): CgroupLayout {
  const controllers = { ...layout.controllers };
  for (const c of CONTROLLERS) {
    const m = controllers[c];
    if (m && !writable(path.join(m.mount, 'hafen'))) controllers[c] = undefined;
  }
  return { ...layout, controllers };
}

function isWritable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

const LIMIT_CONTROLLER = { memory: 'memory', cpus: 'cpu', pids: 'pids' } as const;

/**
 * The one line `up` says when limits of `services` cannot be applied under `layout` (no delegated
 * controller for them), or undefined when every limit can be.
 */
export function unappliedLimitsNote(stack: Stack, services: Iterable<string>, layout: CgroupLayout): string | undefined {
  const parts: string[] = [];
  for (const name of services) {
    const resources = stack.services[name]?.resources ?? {};
    const missing = (Object.keys(LIMIT_CONTROLLER) as (keyof typeof LIMIT_CONTROLLER)[]).filter((k) => resources[k] !== undefined && !layout.controllers[LIMIT_CONTROLLER[k]]);
    if (missing.length > 0) parts.push(`${name} (${missing.join(', ')})`);
  }
  if (parts.length === 0) return undefined;
  return `warning: limits not applied to ${parts.join(', ')}: a user without root may only set limits in a cgroup delegated to it (root: mkdir <hierarchy>/hafen and chown it to you), and none is`;
}

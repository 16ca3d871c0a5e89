/**
 * Removing a finished container's state: its addresses given back, its folder (upper layer, logs,
 * anonymous volumes, record) deleted, and the ledger told. Refused while anything is mounted below
 * the folder, so a bound volume's files are never deleted through a mount.
 */
import fs from 'node:fs';
import { RuntimeError } from '../../../errors.js';
import { readMountInfo } from '../mountinfo.js';
import { containerPaths } from '../state/index.js';
import type { ContainerRecord } from './container-record.js';
import type { RuntimeContext } from './runtime-context.js';
import { traced } from '../../../trace.js';
import { unmountAnonymousVolumes } from '../snapshots/anonymous-volumes.js';

/** Deletes what is left of a container that no longer runs. */
export async function removeContainerState(ctx: RuntimeContext, record: ContainerRecord): Promise<void> {
  const { name, project } = record;
  const dir = containerPaths(ctx.root, project, name).dir;
  ctx.log(`Removing container ${name}`);
  for (const owner of new Set(record.networks.map((n) => n.owner))) {
    await traced('remove: addresses', name, () => ctx.ipam.releaseAddresses(owner, name, record.networks.filter((n) => n.owner === owner).map((n) => n.name)));
  }
  await unmountAnonymousVolumes(ctx, record); // those reset onto a snapshot are overlays on their folders (issue 20)
  const mounted = readMountInfo().filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(`${dir}/`));
  if (mounted.length > 0) {
    throw new RuntimeError(`container ${name}`, `still mounted below ${dir}: ${mounted.map((m) => m.mountPoint).join(', ')}`);
  }
  // Off the event loop: a container's upper layer can hold many files, and a supervisor removing
  // many containers at once would stop answering meanwhile (issue 16).
  await traced('remove: folder', name, () => fs.promises.rm(dir, { recursive: true, force: true }));
  if (fs.existsSync(dir)) throw new RuntimeError(`container ${name}`, `${dir} still exists after removal`);
  ctx.ledger(project).remove({ kind: 'dir', path: dir });
  ctx.log(`Removed container ${name}`);
}

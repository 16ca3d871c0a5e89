/**
 * Removing all of a project: every resource its ledger names (processes, veths, bridges, firewall
 * rules, cgroups, folders; see cleanup/), its subnets given back, and its state folder deleted, or
 * everything in it but `volumes/` when named volumes are kept (none kept: the folder goes too). Works after its creator was SIGKILLed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import { cleanupLedger } from '../cleanup/index.js';
import { readMountInfo } from '../mountinfo.js';
import { projectDir, removeProjectDir } from '../state/index.js';
import type { RuntimeContext } from './runtime-context.js';
import { traced } from '../../../trace.js';
import { removeProjectSnapshots } from '../snapshots/snapshot-layers.js';

/** Removes everything of `project` (see the module comment). */
export async function cleanupProjectState(ctx: RuntimeContext, project: string, keepVolumes: boolean): Promise<void> {
  const dir = projectDir(ctx.root, project);
  ctx.log(`Cleaning up project ${project}`);
  if (fs.existsSync(dir)) await traced('cleanup: ledger', project, () => cleanupLedger(ctx.ledger(project), { root: ctx.root, log: ctx.log }));
  await traced('cleanup: subnets', project, () => ctx.ipam.releaseProject(project));
  if (!fs.existsSync(dir)) {
    if (!keepVolumes) removeProjectSnapshots(ctx, project); // a `down -v` after a `down` (issue 20)
    return;
  }
  if (!keepVolumes) {
    await traced('cleanup: folder', project, () => removeProjectDir(ctx.root, project));
    removeProjectSnapshots(ctx, project); // snapshots outlive `down`, not `down -v` (issue 20)
  } else {
    if (readMountInfo().some((m) => m.mountPoint.startsWith(`${dir}/`))) {
      throw new RuntimeError(`project ${project}`, `something is still mounted below ${dir}`);
    }
    for (const entry of fs.readdirSync(dir)) {
      if (entry !== 'volumes') fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
    // With no named volume to keep, the folder goes too: a project without volumes leaves nothing.
    const volumes = path.join(dir, 'volumes');
    // Old volume data a reset renamed away and a killed supervisor did not get to delete (issue 20).
    if (fs.existsSync(volumes)) for (const e of fs.readdirSync(volumes)) if (e.startsWith('.discarded-')) fs.rmSync(path.join(volumes, e), { recursive: true, force: true });
    if (!fs.existsSync(volumes) || fs.readdirSync(volumes).length === 0) fs.rmSync(dir, { recursive: true, force: true });
  }
  ctx.log(`Cleaned up project ${project}`);
}

/**
 * Taking a snapshot (issue 20): the selected containers held still (cgroup freezer; already paused
 * or stopped ones as they are), their writable layers, the project's named volumes they use and
 * their anonymous volumes (anonymous-volumes.ts) copied aside (`cp -a`: whiteouts, opaque dirs, owners, xattrs and hard links kept), thawed, then
 * each copy committed as a content-addressed layer over what it stood on (its image, or the
 * snapshot it was reset onto: so a snapshot of a snapshot holds only what changed since), and the
 * record written. A folder snapshotted before without a reset since gets a layer of only what changed
 * since that snapshot, over its layers (capture-marker.ts, layer-delta.ts). The containers are frozen only while the copies are made, not while they are hashed.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError, SnapshotError } from '../../../errors.js';
import { Label } from '../../runtime.js';
import type { SnapshotInfo, SnapshotOptions } from '../../snapshot-types.js';
import { commitUpper } from '../builder/layer-commit.js';
import type { ContainerRecord } from '../containers/container-record.js';
import type { RuntimeContext } from '../containers/runtime-context.js';
import { findVolume, type FoundVolume } from '../containers/volume-store.js';
import { containerPaths } from '../state/index.js';
import { containerLayers, topChainId } from './container-layers.js';
import { layerDirsTopFirst, volumeDirs } from './layered-volume.js';
import { ctimeProbe, readCapture, writeCapture, type PreviousCapture } from './capture-marker.js';
import { NotIncremental, reduceToDelta } from './layer-delta.js';
import { checkSnapshotName, layersOf, listSnapshotRecords, readSnapshot, snapshotInfo, writeSnapshot, type SnapshotRecord } from './snapshot-record.js';
import { removeUnreferencedLayers } from './snapshot-layers.js';
import { anonymousVolumes } from './anonymous-volumes.js';

/** How the runtime holds a container still: freeze returns whether it froze it (so only those are thawed). */
export interface Holder {
  running(record: ContainerRecord): boolean;
  freeze(record: ContainerRecord): Promise<boolean>;
  thaw(record: ContainerRecord): void;
}

/** One writable folder to capture: where it is, what it stands on. */
interface Capture {
  key: string;
  source: string;
  parent: string | null;
  /** Layers below, base first (kept in the chain), and their folders top-most first (for the diff). */
  base: string[];
  lowerDirs: string[];
  copy: string;
  /** Where what this snapshot captured is noted for the next one, and what the previous one captured. */
  marker: string;
  previous?: PreviousCapture;
}

/** `cp -a` of a folder's contents into a new folder. */
function copyTree(source: string, target: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('cp', ['-a', '--reflink=auto', '--', source, target], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => reject(new RuntimeError(what, `cannot copy its writable layer: ${err.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new RuntimeError(what, `cannot copy its writable layer: ${stderr.trim() || `cp exited ${code}`}`))));
  });
}

/**
 * What a capture's layer goes on: the previous snapshot's layers of the folder, its copy cut down to
 * what changed since (when it was snapshotted before without a reset since), else what it stands on.
 */
function onPrevious(ctx: RuntimeContext, c: Capture): { base: string[]; parent: string | null; lowerDirs: string[] } {
  const whole = { base: c.base, parent: c.parent, lowerDirs: c.lowerDirs };
  if (!c.previous) return whole;
  const own = layerDirsTopFirst(ctx.store, c.previous.layers.slice(c.base.length), c.key);
  try {
    reduceToDelta(c.copy, own, { live: c.source, ctimeBefore: c.previous.ctimeBefore, below: c.lowerDirs });
  } catch (err) {
    if (!(err instanceof NotIncremental)) throw err;
    ctx.log(`Snapshot of ${c.key.replace(':', ' ')}: capturing all of it (${err.message})`);
    return whole;
  }
  return { base: c.previous.layers, parent: c.previous.layers.at(-1)!, lowerDirs: [...own, ...c.lowerDirs] };
}

/** The project's own named volumes the containers mount (a bind-form or another project's volume is not the snapshot's to keep). */
function volumesOf(ctx: RuntimeContext, project: string, records: ContainerRecord[]): FoundVolume[] {
  const found = new Map<string, FoundVolume>();
  for (const r of records) {
    for (const m of r.spec.mounts) {
      if (m.type !== 'volume' || m.source === '' || found.has(m.source)) continue;
      const v = findVolume(ctx.root, m.source, project);
      if (v && v.record.project === project && !v.record.device) found.set(m.source, v);
    }
  }
  return [...found.values()];
}

/** The capture of a volume's data: its folder, or the upper dir over its layers once it was reset onto a snapshot. */
function volumeCapture(ctx: RuntimeContext, key: string, v: FoundVolume, copy: string): Capture {
  const layers = v.record.layers;
  return {
    key,
    source: layers ? volumeDirs(v).upper : v.dir,
    parent: layers?.at(-1) ?? null,
    base: [...(layers ?? [])],
    lowerDirs: layers ? layerDirsTopFirst(ctx.store, layers, `volume ${v.record.name}`) : [],
    copy,
    marker: `${v.dir}.snapshot-capture`,
  };
}

/** Takes snapshot `name` of `records` (containers of `project`); replaces one of that name. */
export async function takeSnapshot(ctx: RuntimeContext, project: string, name: string, records: ContainerRecord[], holder: Holder, opts: SnapshotOptions = {}): Promise<SnapshotInfo> {
  checkSnapshotName(name);
  if (records.length === 0) throw new SnapshotError(`snapshot ${name}: no containers of project ${project} to take it of; bring the stack up first`);
  const work = path.join(ctx.store.paths.tmp, `snapshot-${process.pid}-${randomBytes(6).toString('hex')}`);
  fs.mkdirSync(work, { mode: 0o700 });
  try {
    const captures: Capture[] = records.map((r, i) => {
      const paths = containerPaths(ctx.root, project, r.name);
      return {
        key: `container:${r.name}`,
        source: paths.upper,
        parent: topChainId(ctx.store, r),
        base: [...(r.snapshotLayers ?? [])],
        lowerDirs: containerLayers(ctx.store, r, path.join(paths.dir, 'empty'), ctx.cache.layers).lower,
        copy: path.join(work, `c${i}`),
        marker: path.join(paths.dir, 'snapshot-capture'),
      };
    });
    const volumes = volumesOf(ctx, project, records);
    volumes.forEach((v, i) => captures.push(volumeCapture(ctx, `volume:${v.record.name}`, v, path.join(work, `v${i}`))));
    // Anonymous volumes are the container's own state: captured as named volumes are.
    const anonymous = new Map(records.map((r) => [r.name, anonymousVolumes(ctx.root, r)]));
    for (const [container, list] of anonymous) list.forEach((a, i) => captures.push(volumeCapture(ctx, `anon:${container}:${a.target}`, a.volume, path.join(work, `a-${container}-${i}`))));

    const anonCount = [...anonymous.values()].flat().length;
    ctx.log(`Taking snapshot ${name} of ${records.map((r) => r.name).join(', ')}${volumes.length ? ` and volumes ${volumes.map((v) => v.record.name).join(', ')}` : ''}${anonCount ? ` (and ${anonCount} anonymous volumes)` : ''}`);
    for (const c of captures) c.previous = readCapture(c.marker, c.source, c.base, ctx.store);
    // Taken before the copies: a file whose ctime is older is in them as it is now.
    const probe = ctimeProbe(work);
    const running = records.filter((r) => holder.running(r));
    if (opts.stopped && running.length > 0) throw new RuntimeError(`container ${running[0]!.name}`, 'is running; a snapshot from a clean stop needs it stopped first');
    const frozen: ContainerRecord[] = [];
    try {
      for (const r of running) if (await holder.freeze(r)) frozen.push(r);
      await Promise.all(captures.map((c) => copyTree(c.source, c.copy, c.key.replace(':', ' '))));
    } finally {
      for (const r of frozen) holder.thaw(r);
    }

    const chains = new Map<string, string[]>();
    for (const c of captures) {
      const on = onPrevious(ctx, c);
      const layer = await commitUpper(ctx.store, on.parent as `sha256:${string}` | null, c.copy, on.lowerDirs);
      const chain = layer ? [...on.base, layer.record.chainId] : on.base;
      chains.set(c.key, chain);
      if (layer) writeCapture(c.marker, c.source, chain, probe);
    }
    const anonymousOf = (container: string) => {
      const list = anonymous.get(container) ?? [];
      return list.length ? { anonymous: Object.fromEntries(list.map((a) => [a.target, { layers: chains.get(`anon:${container}:${a.target}`)! }])) } : {};
    };
    const previous = readSnapshot(ctx.root, project, name);
    const record: SnapshotRecord = {
      version: 1,
      name,
      project,
      createdAt: new Date().toISOString(),
      containers: Object.fromEntries(
        records.map((r) => [r.name, { service: r.spec.labels[Label.service] ?? r.name, ...(r.image.digest ? { image: r.image.digest } : {}), layers: chains.get(`container:${r.name}`)!, ...anonymousOf(r.name) }]),
      ),
      volumes: Object.fromEntries(volumes.map((v) => [v.record.name, { layers: chains.get(`volume:${v.record.name}`)! }])),
      size: 0,
    };
    const ids = new Set([...chains.values()].flat());
    record.size = [...ids].reduce((sum, id) => sum + (ctx.store.layers.get(id as `sha256:${string}`)?.size ?? 0), 0);
    writeSnapshot(ctx.root, record);
    // The layers only the replaced snapshot held go.
    if (previous) removeUnreferencedLayers(ctx, layersOf(previous));
    ctx.log(`Took snapshot ${name} (${listSnapshotRecords(ctx.root, project).length} in project ${project})`);
    return snapshotInfo(record);
  } finally {
    await fs.promises.rm(work, { recursive: true, force: true });
  }
}

/**
 * Creating a container: its image resolved, its state folder made (ledger first), its mounts
 * resolved to host paths, an address on each of its networks, its name files written, and its
 * record. Nothing runs yet. A failure takes down what was made and names the container.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import { Label, type ContainerSpec } from '../../runtime.js';
import { containerPaths } from '../state/index.js';
import { createContainerDirAsync } from '../state/project-paths.js';
import { LayeredView } from '../builder/layered-view.js';
import { imageLayers, resolveContainerImage } from './container-image.js';
import { resolveMounts, type MountImage } from './container-mounts.js';
import { imageVolumeTargets } from './image-volumes.js';
import { newContainerId, projectsOf, writeRecord, type ContainerRecord, type RecordImage, type RecordNetwork } from './container-record.js';
import { writeInitialNameFiles } from './hosts-sync.js';
import { findNetwork, type NetworkRecord } from './network-store.js';
import { reasonOf, type RuntimeContext } from './runtime-context.js';
import { UndoStack } from './undo-stack.js';
import { mountLayeredVolumesOf } from '../snapshots/layered-volume.js';
import { materializeFiles, recordedFiles } from './secret-files.js';

function depthOf(target: string): number {
  return target.split('/').filter(Boolean).length;
}

/** The project a spec belongs to: its `io.hafen.project` label, which every container must carry. */
export function projectOf(spec: Pick<ContainerSpec, 'name' | 'labels'>): string {
  const project = spec.labels[Label.project];
  if (!project) throw new RuntimeError(`container ${spec.name}`, `has no ${Label.project} label; the embedded runtime keeps containers by project`);
  return project;
}

/** The image as resolveMounts needs it; its layers are looked up only when an anonymous volume is to be seeded from them. */
function mountImage(ctx: RuntimeContext, spec: ContainerSpec, image: RecordImage, dir: string): MountImage {
  const anonymous = spec.mounts.some((m) => m.type === 'volume' && m.source === '') || imageVolumeTargets(image.config, spec).length > 0;
  if (!anonymous || !image.digest) return { config: image.config };
  const { lower } = imageLayers(ctx.store, image, path.join(dir, 'empty'), ctx.cache.layers);
  return { config: image.config, view: new LayeredView(lower, { name: `image ${image.ref}` }) };
}

/** Creates the container of `spec`; returns its record. */
export async function createContainer(ctx: RuntimeContext, spec: ContainerSpec): Promise<ContainerRecord> {
  const resource = `container ${spec.name}`;
  const project = projectOf(spec);
  const paths = containerPaths(ctx.root, project, spec.name);
  const taken = projectsOf(ctx.root, spec.name);
  if (taken.length > 0) throw new RuntimeError(resource, `already exists (project ${taken.join(', ')}); remove it first`);
  if (spec.ports.length > 0 && spec.networks.length === 0) {
    throw new RuntimeError(resource, 'publishes ports but is on no network; the port proxies reach containers through their networks');
  }
  const image = await resolveContainerImage(ctx.store, spec.image);
  const networks: NetworkRecord[] = spec.networks.map((n) => {
    const found = findNetwork(ctx.root, n.name, project);
    if (!found) throw new RuntimeError(resource, `network ${n.name} not found; create it first`);
    return found;
  });

  ctx.log(`Creating ${resource} (image ${spec.image})`);
  const ledger = ctx.ledger(project);
  const undo = new UndoStack();
  try {
    undo.push('state folder', () => {
      fs.rmSync(paths.dir, { recursive: true, force: true });
      ledger.remove({ kind: 'dir', path: paths.dir });
    });
    await createContainerDirAsync(ledger, paths, spec.name);
    const mounts = resolveMounts(ctx.root, project, spec, paths.dir, mountImage(ctx, spec, image, paths.dir));
    await mountLayeredVolumesOf(ctx, project, spec.mounts); // volumes reset onto a snapshot (issue 20)
    // Secrets and configs: bound after the volumes they may sit in (stable sort by depth).
    const fileBinds = materializeFiles(spec, paths.dir);
    const binds = [...mounts.binds, ...fileBinds].sort((a, b) => depthOf(a.target) - depthOf(b.target));

    const addresses = new Map<string, string>();
    for (const owner of new Set(networks.map((n) => n.project))) {
      const mine = spec.networks.filter((_, i) => networks[i]!.project === owner);
      undo.push(`addresses on ${owner}'s networks`, () => ctx.ipam.releaseAddresses(owner, spec.name, mine.map((n) => n.name)));
      const got = await ctx.ipam.assignAddresses(
        owner,
        spec.name,
        mine.map((n) => ({ network: n.name, ...(n.ipv4Address ? { requested: n.ipv4Address } : {}) })),
      );
      mine.forEach((n, i) => addresses.set(n.name, got[i]!));
    }
    const recordNetworks: RecordNetwork[] = spec.networks.map((n, i) => ({
      name: n.name,
      owner: networks[i]!.project,
      bridge: networks[i]!.bridge,
      address: addresses.get(n.name)!,
      prefix: networks[i]!.prefix,
      aliases: [...n.aliases],
      gateway: networks[i]!.gateway,
      ...(n.macAddress ? { mac: n.macAddress } : {}),
    }));

    const record: ContainerRecord = {
      version: 1,
      id: newContainerId(),
      name: spec.name,
      project,
      // The record keeps where each secret and config is bound from, never its data.
      spec: { ...structuredClone({ ...spec, files: undefined }), ...(spec.files ? { files: recordedFiles(spec.files, fileBinds) } : {}) },
      image,
      binds,
      tmpfs: mounts.tmpfs,
      networks: recordNetworks,
      state: 'created',
      createdAt: new Date().toISOString(),
      ports: [],
      health: 'none',
    };
    await writeInitialNameFiles(ctx.root, record);
    writeRecord(ctx.root, record);
    ctx.log(`Created ${resource}`);
    return record;
  } catch (err) {
    await undo.run(ctx.log);
    if (err instanceof RuntimeError) throw err;
    throw new RuntimeError(resource, reasonOf(err, resource), { cause: err });
  }
}

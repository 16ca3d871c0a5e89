/** One snapshot of what the runtime has for a project, read back from labels, for the planner. */
import type { Stack } from '../config/model.js';
import type { ObservedContainer, ObservedContainerState, ObservedState } from '../planner/observed.js';
import { imageSource, serviceVolumes, volumeName } from '../planner/resources.js';
import { Label, type ContainerInfo, type Runtime } from '../runtime/runtime.js';

/**
 * The project's containers, networks and volumes, and which of the stack's images are present
 * (unless `images: false`: `stop` and a `down` without `--rmi` never look at them, and on the
 * embedded runtime listing the image store is work of its own: issue 16).
 */
export async function observeProject(runtime: Runtime, stack: Stack, options: { images?: boolean } = {}): Promise<ObservedState> {
  const project = { [Label.project]: stack.name };
  const refs = options.images === false ? [] : [...new Set(Object.values(stack.services).map((s) => imageSource(stack, s).ref))];
  const [containers, networks, volumes, present, images] = await Promise.all([
    runtime.listContainers(project),
    runtime.listNetworks(project),
    runtime.listVolumes(project),
    Promise.all(refs.map(async (ref) => ((await runtime.hasImage(ref)) ? ref : undefined))),
    options.images === false ? [] : runtime.listImages(),
  ]);
  const idByName = new Map(images.map((i) => [i.name, i.id]));
  const imageIds: Record<string, string> = {};
  for (const ref of refs) {
    const id = idByName.get(ref) ?? idByName.get(withTag(ref));
    if (id) imageIds[ref] = id;
  }
  return {
    known: true,
    containers: containers.filter((c) => c.labels[Label.oneOff] === undefined).map((c) => observedContainer(stack, c)),
    networks: networks.map((name) => ({ name, project: stack.name })),
    volumes: volumes.map((name) => ({ name, project: stack.name })),
    images: present.filter((r): r is string => r !== undefined),
    imageIds,
  };
}

/** `name` as image lists show it: with `:latest` when it has no tag or digest. */
function withTag(ref: string): string {
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  return last.includes(':') || last.includes('@') ? ref : `${ref}:latest`;
}

function observedContainer(stack: Stack, c: ContainerInfo): ObservedContainer {
  const service = stack.services[c.labels[Label.service] ?? ''];
  // A paused container is running (frozen): up leaves it, stop and down stop it (the runtime thaws it first).
  const state: ObservedContainerState = c.state === 'running' || c.state === 'paused' ? 'running' : c.state === 'created' ? 'created' : 'exited';
  return {
    name: c.name,
    project: c.labels[Label.project] ?? '',
    service: c.labels[Label.service] ?? '',
    number: Number(c.labels[Label.instance] ?? 1),
    configHash: c.labels[Label.configHash] ?? '',
    state,
    ...(state === 'exited' ? { exitCode: c.exitCode ?? 0 } : {}),
    ...(c.stopRequested ? { stopRequested: true } : {}),
    networks: Object.keys(c.addresses),
    // The runtime does not report mounts; the service's definition names its volumes (an orphan's are unknown).
    volumes: service ? serviceVolumes(stack, service).map((key) => volumeName(stack, key)) : [],
    image: c.image,
    ...(c.imageId ? { imageId: c.imageId } : {}),
  };
}

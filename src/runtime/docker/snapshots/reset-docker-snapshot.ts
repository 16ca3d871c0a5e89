/**
 * Resetting containers onto a snapshot on the Docker runtime (issue 20). A container's root
 * filesystem cannot be swapped under it, so each stopped container is made again, with the same
 * name, configuration, labels, networks and published ports, from its snapshot image; each project
 * volume of the snapshot they mount is emptied (removed and made again, same labels and driver) and
 * the snapshot's copy is copied back into it. Everything is checked before anything is removed.
 * The cost grows with the volumes' data (they are copied): the embedded runtime's reset does not.
 */
import type Docker from 'dockerode';
import { noSuchSnapshot, RuntimeError, SnapshotError } from '../../../errors.js';
import type { PortBinding } from '../../runtime.js';
import type { ResetOptions } from '../../snapshot-types.js';
import { engineMessage } from '../docker-errors.js';
import { copyVolume } from './copy-volume.js';
import { SnapshotLabel, snapshotImages, type SnapshotImage } from './snapshot-store.js';


/** The snapshot's images by container; a SnapshotError when there is no such snapshot. */
export async function requireDockerSnapshot(docker: Docker, project: string, name: string): Promise<Map<string, SnapshotImage>> {
  const all = await snapshotImages(docker, project);
  const held = all.filter((i) => i.name === name);
  if (held.length === 0) throw noSuchSnapshot(project, name, [...new Set(all.map((i) => i.name))]);
  return new Map(held.map((i) => [i.container, i]));
}

/** The port bindings of `host` with the host ports the container published before (`kept`) where the engine chose them. */
export function keptPortBindings(bindings: Docker.PortMap | undefined, kept: readonly PortBinding[]): Docker.PortMap {
  const out: Docker.PortMap = {};
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const [port, protocol = 'tcp'] = key.split('/');
    const before = kept.filter((k) => String(k.target) === port && k.protocol === protocol);
    out[key] = (list ?? []).map((b, n) => {
      if (b.HostPort) return b;
      const was = before.find((k) => !b.HostIp || k.hostIp === b.HostIp) ?? before[n];
      return was ? { ...b, HostPort: String(was.hostPort) } : b;
    });
  }
  return out;
}

/** The create request of `inspect` again, on `image`: same name, configuration, networks; ports kept. */
export function recreateRequest(inspect: Docker.ContainerInspectInfo, image: string, kept: readonly PortBinding[]): { options: Docker.ContainerCreateOptions; extra: [string, Docker.EndpointSettings][] } {
  const mode = inspect.HostConfig.NetworkMode ?? '';
  const own = mode !== 'host' && mode !== 'none' && !mode.startsWith('container:') && !mode.startsWith('service:');
  const endpoint = (n: Docker.EndpointSettings): Docker.EndpointSettings => ({
    ...(n.Aliases ? { Aliases: n.Aliases.filter((a) => !inspect.Id.startsWith(a)) } : {}),
    ...(n.IPAMConfig ? { IPAMConfig: n.IPAMConfig } : {}),
    ...(n.Links ? { Links: n.Links } : {}),
    ...(n.DriverOpts ? { DriverOpts: n.DriverOpts } : {}),
  });
  const nets = own ? Object.entries(inspect.NetworkSettings.Networks ?? {}) : [];
  const first = nets.find(([n]) => n === mode) ?? nets[0];
  const options: Docker.ContainerCreateOptions = {
    ...(inspect.Config as Docker.ContainerCreateOptions),
    name: inspect.Name.replace(/^\//, ''),
    Image: image,
    HostConfig: { ...inspect.HostConfig, PortBindings: keptPortBindings(inspect.HostConfig.PortBindings as Docker.PortMap | undefined, kept) },
    ...(first ? { NetworkingConfig: { EndpointsConfig: { [first[0]]: endpoint(first[1]) } } } : {}),
  };
  return { options, extra: nets.filter((n) => n !== first).map(([n, e]) => [n, endpoint(e)]) };
}

/** Empties project volume `volume` (removed, made again alike) and copies snapshot volume `copy` into it. */
async function restoreVolume(docker: Docker, project: string, volume: string, copy: string, helperImage: string): Promise<void> {
  const was = await docker.getVolume(volume).inspect();
  try {
    await docker.getVolume(volume).remove();
    await docker.createVolume({ Name: volume, Driver: was.Driver, Labels: was.Labels ?? {}, ...(was.Options ? { DriverOpts: was.Options } : {}) });
  } catch (err) {
    throw new RuntimeError(`volume ${volume}`, `cannot empty it for the reset: ${engineMessage(err)}`, { cause: err });
  }
  await copyVolume(docker, helperImage, copy, volume, { [SnapshotLabel.project]: project });
}

/** Resets stopped `containers` of `project` (and the snapshot's volumes they mount) onto snapshot `name`; `remove` removes a container as the runtime does. */
export async function resetDockerSnapshot(docker: Docker, project: string, name: string, containers: string[], opts: ResetOptions, remove: (container: string) => Promise<void>): Promise<void> {
  const images = await requireDockerSnapshot(docker, project, name);
  const inspects = await Promise.all(containers.map((c) => docker.getContainer(c).inspect()));
  for (const i of inspects) {
    const c = i.Name.slice(1);
    if (!images.has(c)) throw new SnapshotError(`snapshot ${name} does not hold container ${c} (it holds ${[...images.keys()].join(', ')}); take a snapshot of it first`);
    if (i.State.Running) throw new RuntimeError(`container ${c}`, 'is running; stop it before a reset');
  }
  const copies = [...images.values()][0]!.volumes;
  const volumes = [...new Set(inspects.flatMap((i) => (i.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name && m.Name in copies).map((m) => m.Name!)))].sort();
  // A volume is made again: no container but those reset may use it (the engine would refuse, half-way).
  for (const v of volumes) {
    const users = (await docker.listContainers({ all: true, filters: { volume: [v] } })).map((u) => u.Names[0]!.slice(1)).filter((u) => !containers.includes(u));
    if (users.length > 0) throw new SnapshotError(`volume ${v} is also used by container ${users.join(', ')}; reset its service too, or remove it first`);
  }
  for (const c of containers) await remove(c);
  for (const v of volumes) await restoreVolume(docker, project, v, copies[v]!, [...images.values()][0]!.id);
  for (const i of inspects) {
    const c = i.Name.slice(1);
    const { options, extra } = recreateRequest(i, images.get(c)!.id, opts.ports?.[c] ?? []);
    try {
      const made = await docker.createContainer(options);
      for (const [network, config] of extra) await docker.getNetwork(network).connect({ Container: made.id, EndpointConfig: config });
    } catch (err) {
      throw new RuntimeError(`container ${c}`, `cannot make it again from snapshot ${name}: ${engineMessage(err)}`, { cause: err });
    }
  }
}

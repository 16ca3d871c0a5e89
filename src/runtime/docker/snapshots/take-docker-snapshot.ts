/**
 * Taking a snapshot on the Docker runtime (issue 20): the running containers paused (Docker's
 * cgroup freezer, so what is copied is one instant's), each project volume they mount copied into
 * a snapshot volume, each container committed as an image (its writable layer over its image), then
 * unpaused, and the images tagged with the snapshot's name. Slower than the embedded runtime's
 * snapshot (the volumes are copied, not layered), and the same commands. A snapshot of the same
 * name is replaced once the new one is taken.
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { RuntimeError, SnapshotError } from '../../../errors.js';
import { Label } from '../../runtime.js';
import type { SnapshotInfo, SnapshotOptions } from '../../snapshot-types.js';
import { engineMessage } from '../docker-errors.js';
import { checkSnapshotName } from '../../embedded/snapshots/snapshot-record.js';
import { copyVolume } from './copy-volume.js';
import { SnapshotLabel, removeSnapshotImages, snapshotImages, snapshotInfos, snapshotRepo } from './snapshot-store.js';

/**
 * The project's named volumes `inspects` mount (another project's, a bind, or a volume in the local
 * driver's bind form, a host folder, is not the snapshot's: as on the embedded runtime).
 */
async function projectVolumes(docker: Docker, project: string, inspects: Docker.ContainerInspectInfo[]): Promise<string[]> {
  const names = [...new Set(inspects.flatMap((i) => (i.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name!)))].sort();
  const owned = await Promise.all(
    names.map(async (n) => {
      const v = await docker.getVolume(n).inspect();
      return v.Labels?.[Label.project] === project && !v.Options?.device ? n : undefined;
    }),
  );
  return owned.filter((n): n is string => n !== undefined);
}

/** Takes snapshot `name` of `containers` (of `project`) on the engine; replaces one of that name once the new one is whole. */
export async function takeDockerSnapshot(docker: Docker, project: string, name: string, containers: string[], opts: SnapshotOptions = {}): Promise<SnapshotInfo> {
  checkSnapshotName(name);
  if (containers.length === 0) throw new SnapshotError(`snapshot ${name}: no containers of project ${project} to take it of; bring the stack up first`);
  const inspects = await Promise.all(containers.map((c) => docker.getContainer(c).inspect()));
  const running = inspects.filter((i) => i.State.Running && !i.State.Paused);
  if (opts.stopped && running.length > 0) throw new RuntimeError(`container ${running[0]!.Name.slice(1)}`, 'is running; a snapshot from a clean stop needs it stopped first');
  const volumes = await projectVolumes(docker, project, inspects);
  const created = new Date().toISOString();
  const id = randomBytes(4).toString('hex');
  const copies: Record<string, string> = Object.fromEntries(volumes.map((v) => [v, `${v}.snapshot-${id}`]));
  const committed: string[] = [];
  const paused: Docker.Container[] = [];
  try {
    for (const i of running) {
      const c = docker.getContainer(i.Id);
      await c.pause().catch((err: unknown) => {
        throw new RuntimeError(`container ${i.Name.slice(1)}`, `cannot hold it still for the snapshot: ${engineMessage(err)}`, { cause: err });
      });
      paused.push(c);
    }
    let volumeBytes = 0;
    for (const v of volumes) {
      await docker.createVolume({ Name: copies[v]!, Labels: { [SnapshotLabel.project]: project, [SnapshotLabel.volume]: v } });
      volumeBytes += await copyVolume(docker, inspects[0]!.Image, v, copies[v]!, { [SnapshotLabel.project]: project });
    }
    // Committed untagged first: the old snapshot of this name stays whole until every commit is done.
    for (const i of inspects) {
      const container = i.Name.slice(1);
      const labels = {
        [SnapshotLabel.project]: project,
        [SnapshotLabel.created]: created,
        [SnapshotLabel.container]: container,
        [SnapshotLabel.service]: i.Config.Labels?.[Label.service] ?? container,
        [SnapshotLabel.volumes]: JSON.stringify(copies),
        [SnapshotLabel.volumeBytes]: String(volumeBytes),
        [SnapshotLabel.base]: i.Image,
      };
      // The body's labels are merged over the container's by the engine.
      const done = (await docker.getContainer(i.Id).commit({ pause: false, comment: `hafen snapshot ${name} of ${container}`, _body: { Labels: labels } }).catch((err: unknown) => {
        throw new RuntimeError(`container ${container}`, `cannot commit it: ${engineMessage(err)}`, { cause: err });
      })) as { Id: string };
      committed.push(done.Id);
    }
  } catch (err) {
    for (const c of committed) await docker.getImage(c).remove({ force: true }).catch(() => undefined);
    for (const v of Object.values(copies)) await docker.getVolume(v).remove().catch(() => undefined);
    throw err;
  } finally {
    for (const c of paused) await c.unpause().catch(() => undefined);
  }
  await removeSnapshotImages(docker, await snapshotImages(docker, project, name));
  for (const [n, i] of inspects.entries()) await docker.getImage(committed[n]!).tag({ repo: snapshotRepo(project, i.Name.slice(1)), tag: name });
  return snapshotInfos(project, await snapshotImages(docker, project, name))[0]!;
}

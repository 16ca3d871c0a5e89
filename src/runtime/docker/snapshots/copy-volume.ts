/**
 * Copying one Docker volume's contents into another (issue 20: a volume's snapshot and its reset)
 * through the engine's archive API: helper containers that are never started mount them, the
 * source's tree is read as a tar (owners, modes, links kept) and written into the target. Any image
 * on the engine does for the helper, as nothing of it runs: the caller passes one it knows is there.
 */
import { Transform } from 'node:stream';
import type Docker from 'dockerode';
import { RuntimeError } from '../../../errors.js';
import { engineMessage } from '../docker-errors.js';

/** Label of the helper containers, so a killed run's one is recognised. */
export const COPY_HELPER_LABEL = 'io.hafen.snapshot.copy-helper';

/**
 * Copies the contents of volume `from` into volume `to` (which should be empty); resolves to the
 * bytes of the tar copied. The helper is labelled with `labels` (the project's), so `down -v`
 * removes one a killed run left (it would hold both volumes).
 */
export async function copyVolume(docker: Docker, image: string, from: string, to: string, labels: Record<string, string>): Promise<number> {
  return copyInto(docker, { image, bind: `${from}:/from:ro` }, to, labels, `volume ${from}`);
}

/**
 * Copies what `source`'s container holds at /from (a volume bound there, or the image's own
 * folder: a saved volume image) into volume `to`; resolves to the bytes of the tar copied.
 */
export async function copyInto(docker: Docker, source: { image: string; bind?: string }, to: string, labels: Record<string, string>, what: string): Promise<number> {
  // Two helpers: the engine holds a container while it streams an archive out of it, so one
  // helper both read and written would wait on itself once the tar outgrows the pipes.
  const helper = (image: string, bind: string | undefined) =>
    docker.createContainer({
      Image: image,
      Entrypoint: ['/nonexistent'], // never started; set so an image without a command can be used
      Cmd: [],
      Labels: { ...labels, [COPY_HELPER_LABEL]: '1' },
      NetworkDisabled: true,
      HostConfig: { Binds: bind ? [bind] : [], NetworkMode: 'none' },
    });
  const made: Docker.Container[] = [];
  try {
    const reader = await helper(source.image, source.bind);
    made.push(reader);
    const writer = await helper(source.image, `${to}:/to`);
    made.push(writer);
    let bytes = 0;
    // Counted as it passes (a 'data' listener would start the flow before the upload reads it).
    const counted = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    // `/from/.` is the folder's contents, not the folder (as `docker cp` reads it).
    const tar = await reader.getArchive({ path: '/from/.' });
    tar.pipe(counted);
    await writer.putArchive(counted, { path: '/to' });
    return bytes;
  } catch (err) {
    throw new RuntimeError(what, `cannot copy it into ${to}: ${engineMessage(err)}`, { cause: err });
  } finally {
    for (const c of made) await c.remove({ force: true, v: false }).catch(() => undefined);
  }
}

/**
 * Copying one Docker volume's contents into another (issue 20: a volume's snapshot and its reset)
 * through the engine's archive API: helper containers that are never started mount them, the
 * source's tree is read as a tar (owners, modes, links kept) and written into the target. Any image
 * on the engine does for the helper, as nothing of it runs: the caller passes one it knows is there.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { RuntimeError, StackError } from '../../../errors.js';
import { mergeLayers } from '../../embedded/layers/merge-layers.js';
import { engineMessage } from '../docker-errors.js';

/** Label of the helper containers, so a killed run's one is recognised. */
export const COPY_HELPER_LABEL = 'io.hafen.snapshot.copy-helper';

/** A container of `image` that is never started (so an image without a command, or without /bin, does), `bind` mounted. */
export function helperContainer(docker: Docker, image: string, bind: string | undefined, labels: Record<string, string>): Promise<Docker.Container> {
  return docker.createContainer({
    Image: image,
    Entrypoint: ['/nonexistent'],
    Cmd: [],
    Labels: { ...labels, [COPY_HELPER_LABEL]: '1' },
    NetworkDisabled: true,
    HostConfig: { Binds: bind ? [bind] : [], NetworkMode: 'none' },
  });
}

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
  const helper = (image: string, bind: string | undefined) => helperContainer(docker, image, bind, labels);
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

/** A file's bytes from inside a tar file (`tar -xO`), streamed; fails naming `what` when tar does. */
async function* memberOf(file: string, member: string, what: string): AsyncGenerator<Buffer> {
  const tar = spawn('tar', ['-xOf', file, member], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => tar.on('close', resolve));
  for await (const chunk of tar.stdout) yield chunk as Buffer;
  const code = await exited;
  if (code !== 0) throw new RuntimeError(what, `cannot read layer ${member}: ${stderr.trim() || `tar exited ${code}`}`);
}

/**
 * Copies the tree the layers of `image` make into volume `to`: a volume image the embedded runtime
 * saved holds the volume's tree at its layers' root (not under /from), and a container of it would
 * add the engine's own files (/etc/hosts, /dev), so the layers are read from `docker save` of the
 * image. A volume snapshotted again has more than one (the later ones with whiteouts and opaque
 * folders): they are merged into the one tar the engine's archive API takes.
 */
export async function copyImageLayerInto(docker: Docker, image: string, to: string, labels: Record<string, string>, what: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-volume-image-'));
  let writer: Docker.Container | undefined;
  try {
    const file = path.join(dir, 'image.tar');
    await pipeline(await docker.getImage(image).get(), fs.createWriteStream(file));
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' })) as { Layers?: string[] }[];
    const layers = manifest[0]?.Layers ?? [];
    if (layers.length === 0) throw new RuntimeError(what, `image ${image} has no layers; a saved volume holds at least one`);
    writer = await helperContainer(docker, image, `${to}:/to`, labels);
    const tar = mergeLayers(layers.map((l) => () => memberOf(file, l, what)), what);
    // A layer that cannot be read or merged fails the stream, which the upload would not report.
    const failed = new Promise<never>((_, reject) => tar.once('error', reject));
    await Promise.race([writer.putArchive(tar, { path: '/to' }), failed]);
  } catch (err) {
    if (err instanceof StackError) throw err;
    throw new RuntimeError(what, `cannot copy it into ${to}: ${engineMessage(err)}`, { cause: err });
  } finally {
    await writer?.remove({ force: true, v: false }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

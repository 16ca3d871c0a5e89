/**
 * `stack push` on a Docker engine: the engine's own push (`POST /images/NAME/push`), with the
 * credentials of Docker's config file sent as X-Registry-Auth, its progress read into the same
 * per-layer outcomes as the embedded push (pushed / exists / mounted) and the digest it ends with.
 * An image whose name is not the target is tagged for the push and the tag taken away after.
 */
import type Docker from 'dockerode';
import { RuntimeError } from '../../errors.js';
import type { PushedImage, PushRequest } from '../image-service.js';
import { dockerConfigCredentials } from '../embedded/registry/credentials.js';
import { parseReference, repositoryName } from '../embedded/registry/reference.js';
import { archiveOf, archiveTag } from './docker-images.js';
import { engineMessage, isNotFound } from './docker-errors.js';

/** One message of the engine's push stream. */
interface PushMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: { Tag?: string; Digest?: string; Size?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/** The engine's id of an image, or undefined when it has none by that name. */
async function imageId(docker: Docker, name: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(name).inspect()).Id;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new RuntimeError(`image ${name}`, `cannot inspect: ${engineMessage(err)}`, { cause: err });
  }
}

/** Pushes `local` (a name as the stack file gives it: a tag, or `docker-archive:PATH`) to `target`. */
export async function dockerPush(docker: Docker, local: string, target: string, opts: PushRequest, env: NodeJS.ProcessEnv = process.env): Promise<PushedImage> {
  const archive = archiveOf(local);
  const engineName = archive ? archiveTag(archive.path) : local;
  const id = await imageId(docker, engineName);
  if (!id) throw new RuntimeError(`image ${local}`, 'is not in the Docker engine; build, pull or import it first (stack build, stack pull)');
  const ref = parseReference(target);
  const repo = repositoryName(ref);
  const tag = ref.tag ?? 'latest';
  const name = `${repo}:${tag}`;
  // A name the engine lacked is made for the push and taken away after; one it had now points at the pushed image, as `docker tag` leaves it.
  const before = await imageId(docker, name);
  if (before !== id) await docker.getImage(id).tag({ repo, tag });
  const credentials = dockerConfigCredentials(env)(ref.domain);
  try {
    const stream = await docker.getImage(repo).push({
      tag,
      ...(credentials ? { authconfig: { username: credentials.username, password: credentials.password, serveraddress: ref.domain } } : {}),
      ...(opts.signal ? { abortSignal: opts.signal } : {}),
    } as Docker.ImagePushOptions);
    let digest: string | undefined;
    await new Promise<void>((resolve, reject) => {
      let failed: string | undefined;
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : failed ? reject(new Error(failed)) : resolve()),
        (m: PushMessage) => {
          if (m.error) failed = m.errorDetail?.message ?? m.error;
          if (m.aux?.Digest) digest = m.aux.Digest;
          const layer = m.id && m.status ? outcomeOf(m.status) : undefined;
          if (layer) opts.onLayer?.({ id: m.id!, ...layer });
        },
      );
    });
    if (!digest) throw new RuntimeError(`image ${target}`, 'the engine finished the push without stating a digest');
    return { reference: name, digest };
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    if (opts.signal?.aborted) throw opts.signal.reason;
    // The engine's words: `unauthorized: authentication required`, `connection refused`, never the password.
    throw new RuntimeError(`image ${target}`, `push failed: ${engineMessage(err).split('\n')[0]}`, { cause: err });
  } finally {
    if (before === undefined) await docker.getImage(name).remove({ noprune: true }).catch(() => {});
  }
}

/** A push status line as an outcome: `Pushed`, `Layer already exists`, `Mounted from team/app`. */
function outcomeOf(status: string): { outcome: 'pushed' | 'exists' | 'mounted'; from?: string } | undefined {
  if (status === 'Pushed') return { outcome: 'pushed' };
  if (status === 'Layer already exists') return { outcome: 'exists' };
  const mounted = /^Mounted from (.+)$/.exec(status);
  return mounted ? { outcome: 'mounted', from: mounted[1]! } : undefined;
}

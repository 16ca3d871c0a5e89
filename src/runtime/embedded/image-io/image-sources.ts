/**
 * What an `image:` string names: the host's directories, the empty image, a `docker save` archive,
 * an OCI image layout, or else a registry reference (parsed by the registry client). Pure.
 */
import { UsageError } from '../../../errors.js';

/** Where an image comes from. */
export type ImageSource =
  | { kind: 'host' }
  | { kind: 'scratch' }
  /** `docker-archive:PATH[:REF]`; REF picks one image of the archive (a RepoTag, or `@N`). */
  | { kind: 'docker-archive'; path: string; ref?: string }
  /** `oci:PATH[:REF]`; REF picks a manifest of the layout's index by its ref name. */
  | { kind: 'oci'; path: string; ref?: string }
  | { kind: 'registry'; ref: string };

const TRANSPORTS = ['docker-archive', 'oci'] as const;

/**
 * Classifies an `image:` value. As in skopeo, the path of `docker-archive:` and `oci:` ends at the
 * first `:` after it, so `docker-archive:/tmp/app.tar:app:v1` reads image `app:v1` of `/tmp/app.tar`.
 */
export function parseImageSource(image: string): ImageSource {
  if (image === 'host' || image === 'scratch') return { kind: image };
  for (const kind of TRANSPORTS) {
    if (!image.startsWith(`${kind}:`)) continue;
    const rest = image.slice(kind.length + 1);
    const colon = rest.indexOf(':');
    const path = colon < 0 ? rest : rest.slice(0, colon);
    const ref = colon < 0 ? '' : rest.slice(colon + 1);
    if (path === '') throw new UsageError(`image ${JSON.stringify(image)}: ${kind}: needs a path, e.g. ${kind}:./image${kind === 'oci' ? '' : '.tar'}`);
    return ref === '' ? { kind, path } : { kind, path, ref };
  }
  return { kind: 'registry', ref: image };
}

/**
 * The images a build starts from (FROM) or copies from (COPY --from=IMAGE): `host`, made on
 * demand; anything else must already be in the store (or be supplied by the caller's resolver,
 * e.g. an importer of `docker-archive:` and `oci:` references).
 */
import { RuntimeError } from '../../../errors.js';
import { normalizeImageName, type Store, type StoredImage } from '../store/index.js';
import { ensureHostImage, HOST_IMAGE_NAME } from './host-image.js';

/** Finds an image the store does not have (a pull, an import); undefined when it cannot. */
export type ImageResolver = (ref: string) => Promise<StoredImage | undefined>;

/** An image a build uses, and whether it had to be made just now. */
export interface ResolvedImage {
  image: StoredImage;
  created: boolean;
}

/** Looks up `ref`; a missing image is a RuntimeError saying how to get it. */
export async function resolveImage(store: Store, ref: string, resolver?: ImageResolver): Promise<ResolvedImage> {
  if (ref === HOST_IMAGE_NAME) return ensureHostImage(store);
  const found = await resolver?.(ref);
  if (found) return { image: found, created: false };
  let image: StoredImage | undefined;
  try {
    image = store.images.get(ref);
  } catch (err) {
    throw new RuntimeError(`image ${ref}`, `${(err as Error).message}; pull or import it again`, { cause: err });
  }
  if (image) return { image, created: false };
  const how = /^(docker-archive|oci):/.test(ref)
    ? `import ${ref} first (\`stack pull ${ref}\`)`
    : `get it with \`stack pull ${ref}\`, or import a \`docker save\` archive by naming it \`docker-archive:PATH\` (an OCI layout: \`oci:PATH\`)`;
  throw new RuntimeError(`image ${ref}`, `not in hafen's image store (no image ${normalizeImageName(ref)}); ${how}`);
}

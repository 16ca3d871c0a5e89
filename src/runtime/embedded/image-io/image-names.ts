/** Image names found in archives and layouts, in the short form Docker shows (`busybox:latest`). */

const DEFAULT_DOMAINS = ['docker.io/', 'index.docker.io/', 'registry-1.docker.io/'];
/** A lenient image reference: name components, an optional `:tag` and `@digest`; no spaces. */
const REFERENCE = /^[a-z0-9][a-z0-9._\-/:]*(@sha256:[0-9a-f]{64})?$/i;

/** `docker.io/library/busybox:1.36` → `busybox:1.36`; other names are kept. */
export function familiarName(name: string): string {
  for (const domain of DEFAULT_DOMAINS) {
    if (!name.startsWith(domain)) continue;
    const rest = name.slice(domain.length);
    return rest.startsWith('library/') && !rest.slice('library/'.length).includes('/') ? rest.slice('library/'.length) : rest;
  }
  return name;
}

/** Whether `name` can be an image name (a RepoTag or an annotation may hold anything). */
export function isImageName(name: string): boolean {
  return name.length <= 255 && REFERENCE.test(name) && !name.split('/').some((part) => part === '' || part === '.' || part === '..');
}

/** The names an OCI index entry carries: `io.containerd.image.name`, or a ref name that is a whole reference. */
export function namesFromAnnotations(annotations: Record<string, string> | undefined): string[] {
  const full = annotations?.['io.containerd.image.name'];
  if (full && isImageName(full)) return [familiarName(full)];
  const ref = annotations?.['org.opencontainers.image.ref.name'];
  // A bare ref name ("latest", "v1") is a tag with no repository: it names nothing on its own.
  if (ref && /[:/]/.test(ref) && isImageName(ref)) return [familiarName(ref)];
  return [];
}

/** `busybox:latest` → `docker.io/library/busybox:latest`, the full form containerd and Docker 25 write. */
export function qualifiedName(name: string): string {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') return name;
  return slash < 0 ? `docker.io/library/${name}` : `docker.io/${name}`;
}

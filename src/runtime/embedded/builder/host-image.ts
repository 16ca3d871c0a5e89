/**
 * The `host` image: the host's system directories, read-only, under a tiny generated base layer.
 * None of the host's files go into a layer. The base layer holds only what a container needs of
 * its own (a minimal /etc/passwd and /etc/group, nsswitch, placeholders the runtime binds over,
 * an empty /tmp) and the mount points of the host directories (a host symlink such as /bin ->
 * usr/bin on merged-/usr systems is recreated as the same symlink). Its bytes depend only on the
 * host's layout, so the layer is made once and cached like any other.
 *
 * Every image built FROM host carries the label `io.hafen.base=host`; the runtime (and the RUN
 * sandbox) bind-mounts `hostDirectories()` read-only at the same paths for such images.
 */
import fs from 'node:fs';
import { DEFAULT_PATH } from '../build/default-path.js';
import { sha256, type Digest } from '../layers/index.js';
import { END_OF_ARCHIVE, encodeHeader, padding, type EntryHeader } from '../layers/tar-format.js';
import { hostArchitecture, MediaType, type ImageConfig, type Store, type StoredImage } from '../store/index.js';
import { HOST_IMAGE_NAME } from './host-image-name.js';

/** The label (and its value) that marks an image as built on the host's system directories. */
export const HOST_BASE_LABEL = 'io.hafen.base';
export const HOST_BASE_VALUE = 'host';
/** The name the host image is tagged with in the store (its own module: the runtime needs it without the builder). */
export { HOST_IMAGE_NAME } from './host-image-name.js';

/** One host path a host-based container sees. */
export interface HostPath {
  /** Absolute path, the same inside and outside. */
  path: string;
  /**
   * 'dir' and 'file' are bind-mounted read-only; 'symlink' is recreated in the base layer (its
   * target is one of the bound directories, e.g. /bin -> usr/bin) and needs no mount.
   */
  kind: 'dir' | 'file' | 'symlink';
  /** The link's target, for 'symlink'. */
  target?: string;
}

/** The host paths a host-based image may see, in mount order. Never home folders, /root, /etc/shadow, keys or the working tree. */
const HOST_PATHS = [
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/alternatives',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/localtime',
] as const;

/** The host directories (and files) of HOST_PATHS that exist on this machine, with what each is. */
export function hostDirectories(root = '/'): HostPath[] {
  const out: HostPath[] = [];
  for (const path of HOST_PATHS) {
    const st = fs.lstatSync(`${root === '/' ? '' : root}${path}`, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isSymbolicLink()) out.push({ path, kind: 'symlink', target: fs.readlinkSync(`${root === '/' ? '' : root}${path}`) });
    else if (st.isDirectory()) out.push({ path, kind: 'dir' });
    else if (st.isFile()) out.push({ path, kind: 'file' });
  }
  return out;
}

/** The paths to bind read-only into a container of a host-based image (directories and files, not symlinks). */
export function hostBindPaths(root = '/'): string[] {
  return hostDirectories(root)
    .filter((p) => p.kind !== 'symlink')
    .map((p) => p.path);
}

/** Whether an image config says the image stands on the host's directories. */
export function isHostBased(config: Pick<ImageConfig, 'config'>): boolean {
  return config.config.Labels?.[HOST_BASE_LABEL] === HOST_BASE_VALUE;
}

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\n';
const NSSWITCH = 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n';
const HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';

/** The base layer's tar, uncompressed; the same bytes every time on the same host layout. */
export function hostBaseLayer(root = '/'): Buffer {
  const entries = new Map<string, EntryHeader>();
  const base = { uid: 0, gid: 0, mtime: 0, size: 0, linkname: '', devmajor: 0, devminor: 0 };
  const dir = (name: string, mode = 0o755) => entries.set(name, { ...base, name, type: 'dir', mode });
  const bodies = new Map<string, Buffer>();
  const file = (name: string, content = '', mode = 0o644) => {
    const body = Buffer.from(content);
    bodies.set(name, body);
    entries.set(name, { ...base, name, type: 'file', mode, size: body.length });
  };
  for (const d of ['dev', 'etc', 'proc', 'sys']) dir(d);
  dir('root', 0o700);
  dir('tmp', 0o1777);
  file('etc/passwd', PASSWD);
  file('etc/group', GROUP);
  file('etc/nsswitch.conf', NSSWITCH);
  file('etc/hosts', HOSTS);
  file('etc/hostname');
  file('etc/resolv.conf');
  for (const p of hostDirectories(root)) {
    const name = p.path.slice(1);
    if (p.kind === 'symlink') entries.set(name, { ...base, name, type: 'symlink', mode: 0o777, linkname: p.target! });
    else if (p.kind === 'dir') dir(name);
    else file(name);
  }
  const chunks: Buffer[] = [];
  for (const name of [...entries.keys()].sort()) {
    const e = entries.get(name)!;
    chunks.push(encodeHeader(e));
    const body = bodies.get(name);
    if (body && body.length > 0) chunks.push(body, Buffer.alloc(padding(body.length)));
  }
  chunks.push(END_OF_ARCHIVE);
  return Buffer.concat(chunks);
}

/** The host image's config: no command, PATH set, the host label. */
function hostConfig(diffId: Digest): ImageConfig {
  return {
    created: '1970-01-01T00:00:00Z',
    architecture: hostArchitecture(),
    os: 'linux',
    config: { Env: [`PATH=${DEFAULT_PATH}`], Labels: { [HOST_BASE_LABEL]: HOST_BASE_VALUE } },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: '1970-01-01T00:00:00Z', created_by: 'hafen: host base layer (the host system directories are bound read-only)' }],
  };
}

/**
 * The host image, stored (and tagged `host`) when missing or when the host's layout changed;
 * returns it and whether anything had to be made.
 */
export async function ensureHostImage(store: Store, root = '/'): Promise<{ image: StoredImage; created: boolean }> {
  const tar = hostBaseLayer(root);
  const diffId = sha256(tar);
  const config = hostConfig(diffId);
  let existing: StoredImage | undefined;
  try {
    existing = store.images.get(HOST_IMAGE_NAME);
  } catch {
    existing = undefined; // a layer went missing: make it again
  }
  if (existing && existing.config.rootfs.diff_ids.join() === diffId) return { image: existing, created: false };
  const blob = store.blobs.putBytes(tar);
  await store.layers.unpack(null, blob.digest, () => store.blobs.open(blob.digest), diffId);
  const image = store.images.put(config, [{ mediaType: MediaType.layer, digest: blob.digest, size: blob.size }], HOST_IMAGE_NAME);
  return { image, created: true };
}

/** Files whose change time tells that the host's installed software changed (package databases). */
const PACKAGE_DBS = ['/var/lib/dpkg/status', '/var/lib/rpm', '/lib/apk/db/installed', '/var/lib/pacman/local', '/etc/os-release'];

/**
 * A digest of what a RUN on the host image may depend on beyond the base layer: the package
 * databases and the bound directories' modification times. It joins the build cache key, so
 * installing or upgrading software on the host re-runs the steps built on it.
 */
export function hostFingerprint(root = '/'): Digest {
  const prefix = root === '/' ? '' : root;
  const lines: string[] = [];
  for (const path of [...PACKAGE_DBS, ...hostBindPaths(root)]) {
    const st = fs.statSync(`${prefix}${path}`, { throwIfNoEntry: false, bigint: true });
    if (st) lines.push(`${path} ${st.mtimeNs} ${st.size}`);
  }
  return sha256(lines.join('\n'));
}

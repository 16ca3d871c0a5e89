/**
 * An OCI image layout folder as a `docker load` archive: Docker 20.10 loads only docker-archive
 * tars, whose manifest.json names the config and layer blobs, so the layout's blobs are sent as
 * they are with a manifest.json written from its index (compressed layers are fine for `load`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { RuntimeError } from '../../errors.js';

interface Descriptor {
  mediaType?: string;
  digest: string;
  platform?: { os?: string; architecture?: string };
  annotations?: Record<string, string>;
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

/** A docker-archive stream of the image in the OCI layout at `dir` (a tar file is passed through as it is). */
export async function ociLayoutAsDockerArchive(dir: string): Promise<NodeJS.ReadableStream> {
  if (!fs.statSync(dir).isDirectory()) return fs.createReadStream(dir);
  const blob = (digest: string) => path.join(dir, 'blobs', ...digest.split(':'));
  const json = (digest: string) => JSON.parse(fs.readFileSync(blob(digest), 'utf8')) as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[]; mediaType?: string };
  let manifests = (JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests?: Descriptor[] }).manifests ?? [];
  let chosen: Descriptor | undefined;
  let tagName: string | undefined;
  for (let depth = 0; depth < 4 && !chosen; depth++) {
    const arch = ARCH[process.arch] ?? process.arch;
    const pick = manifests.find((m) => !m.platform || (m.platform.os === 'linux' && m.platform.architecture === arch)) ?? manifests[0];
    if (!pick) break;
    tagName ??= pick.annotations?.['io.containerd.image.name'];
    if (pick.mediaType && INDEX_TYPES.has(pick.mediaType)) manifests = json(pick.digest).manifests ?? [];
    else chosen = pick;
  }
  if (!chosen) throw new RuntimeError(`image oci:${dir}`, 'the layout names no image manifest');
  const manifest = json(chosen.digest);
  if (!manifest.config) throw new RuntimeError(`image oci:${dir}`, `manifest ${chosen.digest} has no config`);
  const names = [manifest.config, ...(manifest.layers ?? [])].map((d) => `blobs/${d.digest.replace(':', '/')}`);
  const pack = tar.pack();
  const fill = async () => {
    const entry = JSON.stringify([{ Config: names[0], RepoTags: tagName && tagName.includes(':') ? [tagName] : [], Layers: names.slice(1) }]);
    pack.entry({ name: 'manifest.json' }, entry);
    for (const name of new Set(names)) {
      const file = path.join(dir, name);
      await pipeline(fs.createReadStream(file), pack.entry({ name, size: fs.statSync(file).size }));
    }
    pack.finalize();
  };
  fill().catch((err: Error) => pack.destroy(err));
  return pack as unknown as NodeJS.ReadableStream;
}

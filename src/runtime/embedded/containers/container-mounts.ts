/**
 * A container's mounts as host paths, resolved at create: a named volume is its folder (made when
 * missing, as `docker run -v name:/x` does), an anonymous one a folder inside the container's own
 * state (gone with it) seeded from the image, one more such folder for each image VOLUME the spec
 * mounts nothing on, a bind's missing source is made as a directory (as Compose does), tmpfs as given.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import { Label, type ContainerSpec } from '../../runtime.js';
import type { LayeredView } from '../builder/index.js';
import type { BindSpec, TmpfsSpec } from '../launcher/spec.js';
import type { ContainerConfig } from '../store/index.js';
import { imageVolumeTargets, seedVolume } from './image-volumes.js';
import { createVolume, findVolume } from './volume-store.js';

/** The mounts of a container, ready for the launcher. */
export interface ResolvedMounts {
  binds: BindSpec[];
  tmpfs: TmpfsSpec[];
}

/** Who a mount error is about: the service when the labels say, else the container. */
function owner(spec: ContainerSpec): string {
  const service = spec.labels[Label.service];
  return service ? `service ${service}` : `container ${spec.name}`;
}

/** The image as mounts need it: its VOLUMEs, and a view of its files (none for an image without layers). */
export interface MountImage {
  config: ContainerConfig;
  view?: LayeredView;
}

/** Path components of a target: a bind on `/a` must be made before one on `/a/b`. */
function depth(target: string): number {
  return target.split('/').filter(Boolean).length;
}

/** Resolves `spec.mounts` and the image's VOLUMEs; `containerDir` holds anonymous volumes. */
export function resolveMounts(root: string, project: string, spec: ContainerSpec, containerDir: string, image: MountImage = { config: {} }): ResolvedMounts {
  const out: ResolvedMounts = { binds: [], tmpfs: [] };
  spec.mounts.forEach((m, i) => {
    if (!m.target.startsWith('/')) throw new RuntimeError(owner(spec), `mount target ${JSON.stringify(m.target)} must be an absolute path`);
    switch (m.type) {
      case 'volume': {
        let source: string;
        if (m.source === '') {
          source = path.join(containerDir, 'anon', String(i));
          seedVolume(image.view, m.target, source);
        } else {
          const found = findVolume(root, m.source, project) ?? createVolume(root, project, { name: m.source, labels: { [Label.project]: project } });
          source = found.record.device ?? found.dir;
        }
        out.binds.push({ source, target: m.target, readOnly: m.readOnly });
        break;
      }
      case 'bind': {
        if (!path.isAbsolute(m.source)) throw new RuntimeError(owner(spec), `bind source ${m.source} must be an absolute path`);
        // As dockerd's Mount API: a missing source is refused, never made here. The orchestrator makes
        // the ones the file lets it make (short syntax, create_host_path) and says so.
        if (!fs.existsSync(m.source)) throw new RuntimeError(owner(spec), `bind source ${m.source} does not exist`);
        out.binds.push({ source: m.source, target: m.target, readOnly: m.readOnly });
        break;
      }
      case 'tmpfs':
        out.tmpfs.push({ target: m.target, ...(m.size !== undefined ? { sizeBytes: m.size } : {}), ...(m.mode !== undefined ? { mode: m.mode } : {}) });
        break;
      default: {
        const never: never = m;
        throw new RuntimeError(owner(spec), `unknown mount ${JSON.stringify(never)}`);
      }
    }
  });
  imageVolumeTargets(image.config, spec).forEach((target, i) => {
    const source = path.join(containerDir, 'anon', `image-${i}`);
    seedVolume(image.view, target, source);
    out.binds.push({ source, target });
  });
  // Stable: binds at the same depth keep the spec's order.
  out.binds.sort((a, b) => depth(a.target) - depth(b.target));
  return out;
}

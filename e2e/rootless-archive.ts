/**
 * A busybox image with a folder owned by a user other than root (/home/app, uid 1000), saved as a
 * docker-archive by root from a store of its own: the rootless tests check that the user's mapping
 * shifts such ownership. The plain rootfs is kept beside it for tools that repack it (umoci).
 */
import fs from 'node:fs';
import path from 'node:path';
import { commitUpper, makeStepDirs } from '../src/runtime/embedded/builder/layer-commit.js';
import { makeBusyboxRootfs } from '../src/runtime/embedded/launcher/busybox-rootfs.js';
import { hostArchitecture, openStore } from '../src/runtime/embedded/store/index.js';
import { stack as stackAsRoot } from './cli.js';

/** The uid (and gid) owning /home/app in the image. */
export const APP_OWNER = 1000;

/**
 * Writes `archive` (docker-archive, tagged `tag`) and, when `rootfsCopy` is given, the image's
 * rootfs there. Builds in a store at `dir/maker`, left there for the caller's cleanup.
 */
export async function saveBusyboxArchiveWithAppDir(dir: string, tag: string, archive: string, rootfsCopy?: string): Promise<void> {
  const storeRoot = path.join(dir, 'maker');
  const store = openStore(storeRoot);
  const dirs = makeStepDirs(store);
  try {
    makeBusyboxRootfs(dirs.upper);
    fs.mkdirSync(path.join(dirs.upper, 'home/app'), { recursive: true });
    fs.chownSync(path.join(dirs.upper, 'home/app'), APP_OWNER, APP_OWNER);
    if (rootfsCopy) {
      fs.cpSync(dirs.upper, rootfsCopy, { recursive: true, verbatimSymlinks: true });
      fs.chownSync(path.join(rootfsCopy, 'home/app'), APP_OWNER, APP_OWNER);
    }
    const layer = (await commitUpper(store, null, dirs.upper, []))!;
    store.images.put(
      { created: new Date().toISOString(), architecture: hostArchitecture(), os: 'linux', config: { Env: ['PATH=/bin'], Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [layer.record.diffId] } },
      [layer.descriptor],
      tag,
    );
  } finally {
    dirs.remove();
  }
  const saved = stackAsRoot(['image', 'save', tag, '-o', archive], { env: { HAFEN_ROOT: storeRoot } });
  if (saved.code !== 0) throw new Error(`image save ${tag}: ${saved.stderr}`);
}

/**
 * A small image for tests and benchmarks: Debian's busybox-static as one layer in an embedded
 * store, tagged `name` (default `busybox:latest`), made once per store.
 */
import { commitUpper, makeStepDirs } from '../runtime/embedded/builder/layer-commit.js';
import { makeBusyboxRootfs } from '../runtime/embedded/launcher/busybox-rootfs.js';
import { hostArchitecture, type Store } from '../runtime/embedded/store/index.js';

/** Stores the busybox image under `name` unless the store has it; returns the name. */
export async function importBusyboxImage(store: Store, name = 'busybox:latest'): Promise<string> {
  if (store.images.resolve(name)) return name;
  const dirs = makeStepDirs(store);
  try {
    makeBusyboxRootfs(dirs.upper);
    const layer = await commitUpper(store, null, dirs.upper, []);
    if (!layer) throw new Error('the busybox rootfs made an empty layer');
    store.images.put(
      {
        created: new Date().toISOString(),
        architecture: hostArchitecture(),
        os: 'linux',
        config: { Env: ['PATH=/bin'], Cmd: ['sh'] },
        rootfs: { type: 'layers', diff_ids: [layer.record.diffId] },
      },
      [layer.descriptor],
      name,
    );
    return name;
  } finally {
    dirs.remove();
  }
}

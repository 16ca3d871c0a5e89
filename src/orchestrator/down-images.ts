/**
 * `down --rmi local|all`, as Compose means it: `local` removes the images the project built under
 * its own default name (a `build:` service without `image:`); `all` removes every image the
 * services use. Without a stack file (`-p NAME down`), the project's containers say which images
 * they were made from and for which service; with one, only an orphan's own built image is added
 * (`all` never reaches past the file to an image an orphan shares with other projects).
 */
import type { Stack } from '../config/model.js';
import type { ObservedContainer } from '../planner/observed.js';
import { imageSource } from '../planner/resources.js';
import type { Runtime } from '../runtime/runtime.js';

/** What `--rmi` takes. */
export const RMI_MODES = ['local', 'all'] as const;
export type RmiMode = (typeof RMI_MODES)[number];

/** Built into every runtime; never an image to remove. */
const BUILTIN = new Set(['host', 'scratch']);

/** The image references `--rmi mode` removes, from the file's services and the project's containers; sorted, each once. */
export function imagesToRemove(stack: Stack, containers: readonly ObservedContainer[], mode: RmiMode): string[] {
  const out = new Set<string>();
  for (const service of Object.values(stack.services)) {
    const source = imageSource(stack, service);
    if (mode === 'all' ? source.kind !== 'builtin' : source.kind === 'build' && service.image === undefined) out.add(source.ref);
  }
  const fileless = Object.keys(stack.services).length === 0;
  for (const c of containers) {
    if (c.project !== stack.name || c.image === undefined || BUILTIN.has(c.image)) continue;
    // A container's image named `<project>-<service>` is that service's default build name.
    if ((mode === 'all' && fileless) || c.image === `${stack.name}-${c.service}`) out.add(c.image);
  }
  return [...out].sort();
}

/** Removes `refs` that are present; resolves to those removed. One that cannot go (used elsewhere) is told to `warn` and stays. */
export async function removeImages(runtime: Runtime, refs: readonly string[], warn: (line: string) => void): Promise<string[]> {
  const removed: string[] = [];
  for (const ref of refs) {
    try {
      if (!(await runtime.hasImage(ref))) continue;
      await runtime.removeImage(ref);
      removed.push(ref);
    } catch (err) {
      warn(`image ${ref} stays: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  }
  return removed;
}

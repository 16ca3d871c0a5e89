/**
 * Waiting for the kernel to take interfaces away by itself. A container's veth pair goes with its
 * network namespace: once its last process has exited the kernel deletes both ends (a moment
 * later, from a work queue). Waiting for that costs a few file checks; deleting them ourselves
 * costs a run of `ip` per container, which a supervisor stopping a hundred containers at once
 * pays in forks on its event loop (issue 16). Whatever is still there after the wait (a namespace
 * some other process holds) is deleted the old way.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { linkExists } from './bridge.js';

/** How long the kernel is given, at most, to remove a dead namespace's veths. */
export const KERNEL_LINK_WAIT_MS = 1000;

/** Resolves with those of `names` still present after at most `timeoutMs` (at once when none is). */
export async function linksLeftAfter(names: readonly string[], timeoutMs: number = KERNEL_LINK_WAIT_MS): Promise<string[]> {
  let left = names.filter(linkExists);
  const deadline = performance.now() + timeoutMs;
  for (let pause = 2; left.length > 0 && performance.now() < deadline; pause = Math.min(pause * 2, 50)) {
    await sleep(pause);
    left = left.filter(linkExists);
  }
  return left;
}

/**
 * Node's on-disk compile cache (module.enableCompileCache, Node 22.1+): a process starting again
 * reuses V8's compiled code instead of parsing and compiling every module anew. The cache folder is
 * Node's default (NODE_COMPILE_CACHE, else node-compile-cache under the OS's temporary folder);
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off. On Node 20 there is no such call and nothing happens.
 */
import module from 'node:module';

/** Turns the compile cache on for the modules loaded from now on, where this Node has one. */
export function enableCompileCache(): void {
  const enable = (module as { enableCompileCache?: () => unknown }).enableCompileCache;
  try {
    enable?.();
  } catch {
    // A cache that cannot be used (a folder it cannot write) only costs speed.
  }
}

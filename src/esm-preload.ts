/**
 * ES-module-only dependencies for the CommonJS CLI bundle (issue 16: dist/cli.cjs starts without
 * Node's ES module loader). Ink is ES modules only and Node 20 cannot `require` those, so code that
 * imports it (the dashboard) is reached through loadDashboard(), which imports Ink first; the
 * CommonJS bundle's `ink` is then this already-loaded module (scripts/bundle.mjs maps it here).
 * In the ES module build nothing changes: `ink` is imported as ever, and this is one early import.
 */
const loaded = new Map<string, unknown>();

/** Loads Ink (once), so that preloadedModule('ink') can hand it out synchronously. */
export async function preloadInk(): Promise<void> {
  if (!loaded.has('ink')) loaded.set('ink', await import('ink'));
}

/** A module preloaded above; a bug (never user input) when it was not. */
export function preloadedModule(name: string): unknown {
  if (!loaded.has(name)) throw new Error(`${name} is an ES module that must be preloaded before the code importing it runs (src/esm-preload.ts)`);
  return loaded.get(name);
}

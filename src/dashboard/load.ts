/** The dashboard module, with Ink loaded before it (esm-preload.ts: the CommonJS CLI bundle needs that). */
import { preloadInk } from '../esm-preload.js';

/** Imports src/dashboard/index.ts once Ink is loaded. */
export async function loadDashboard(): Promise<typeof import('./index.js')> {
  await preloadInk();
  return import('./index.js');
}

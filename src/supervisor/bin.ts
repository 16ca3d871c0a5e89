/**
 * The supervisor as the package ships it (bundled as dist/supervisor.js, spawned by path from
 * spawn.ts): Node's compile cache on first, then main.ts with the modules it loads.
 */
import { enableCompileCache } from '../compile-cache.js';

enableCompileCache();
await import('./main.js');

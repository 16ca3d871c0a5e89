/**
 * Runs one of this repository's TypeScript files in a child `node` process, for tests that need a
 * real separate process (one to SIGKILL in the middle of its work, say).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REGISTER = fileURLToPath(new URL('./ts-register.mjs', import.meta.url));

/** Spawns `node script.ts args…` with TypeScript support; `options` as for child_process.spawn. */
export function spawnTs(script: string, args: string[] = [], options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, ['--import', REGISTER, script, ...args], options);
}

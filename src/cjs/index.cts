/**
 * hafen for CommonJS: `const { up } = require('hafen')`. The package is ES modules; this entry
 * loads it on first use (a dynamic import works from CommonJS on every Node from 20), so what it
 * offers is asynchronous: `up` (which is anyway), `loadVersion`, and the types.
 */
import type { RunningStack, UpOptions } from '../index.js';

export type * from '../index.js';

type Library = typeof import('../index.js');
let library: Promise<Library> | undefined;
const load = (): Promise<Library> => (library ??= import('../index.js'));

/** Brings a stack up, as `up` of the ES module entry. */
export async function up(options: UpOptions = {}): Promise<RunningStack> {
  return (await load()).up(options);
}

/** The package's version. */
export async function loadVersion(): Promise<string> {
  return (await load()).version;
}

/** The whole ES module entry (error classes included), for what the functions above do not cover. */
export function loadLibrary(): Promise<Library> {
  return load();
}

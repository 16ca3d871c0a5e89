/** Loads the stack files the common options point at, and checks what only the planner can (cycles). */
import { loadStack } from '../config/index.js';
import type { Stack } from '../config/model.js';
import { buildGraph } from '../planner/index.js';
import type { GlobalOptions } from './global-options.js';

/** A stack that loaded, validated and has no dependency cycle. */
export async function loadCheckedStack(globals: GlobalOptions, cwd = process.cwd()): Promise<Stack> {
  const stack = await loadStack({
    file: globals.file,
    cwd,
    envFiles: globals.envFile,
    ...(globals.projectDirectory !== undefined ? { projectDirectory: globals.projectDirectory } : {}),
    project: globals.projectName,
    env: process.env,
    profiles: globals.profile,
  });
  buildGraph(stack); // throws CycleError naming the cycle and where it is written
  return stack;
}

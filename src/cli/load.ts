/** Loads the stack files the common options point at, and checks what only the planner can (cycles). */
import { loadStack } from '../config/index.js';
import type { Stack } from '../config/model.js';
import { buildGraph } from '../planner/graph.js';
import type { GlobalOptions } from './global-options.js';
import { jsonProgressOutput } from './json-progress.js';
import { processOutput, type Output } from './output.js';
import { writeStd } from './std-write.js';

/**
 * A stack that loaded, validated and has no dependency cycle. The loader's warnings (an unset
 * variable, …) go to stderr once each, so `--progress json` and `config --json` keep stdout clean.
 */
export async function loadCheckedStack(globals: GlobalOptions, cwd = process.cwd(), output: Output = defaultOutput(globals)): Promise<Stack> {
  const stack = await loadStackOf(globals, cwd, (message) => output.err(output.color.yellow(`warning: ${message}`)));
  buildGraph(stack); // throws CycleError naming the cycle and where it is written
  return stack;
}

/** The stack the common options point at (files, project directory, env files, name, profiles), as loaded; `onWarning` hears the loader's warnings. */
export function loadStackOf(globals: GlobalOptions, cwd: string, onWarning: (message: string) => void): Promise<Stack> {
  return loadStack({
    file: globals.file,
    cwd,
    envFiles: globals.envFile,
    ...(globals.projectDirectory !== undefined ? { projectDirectory: globals.projectDirectory } : {}),
    project: globals.projectName,
    ...(globals.projectNameVia ? { projectVia: globals.projectNameVia } : {}),
    env: process.env,
    profiles: globals.profile,
    onWarning,
  });
}

/** The process's output; with `--progress json` its warnings are JSON `message` lines. */
function defaultOutput(globals: GlobalOptions): Output {
  return globals.progress === 'json' ? jsonProgressOutput(processOutput(), (text) => writeStd(2, text)) : processOutput();
}

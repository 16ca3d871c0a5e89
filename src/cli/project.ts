/** What the project commands share: the stack, its runtime, a renderer on stderr. */
import type { Stack } from '../config/model.js';
import type { EventSink } from '../executor/events.js';
import type { ProjectRuntime } from '../orchestrator/project-runtime.js';
import type { GlobalOptions } from './global-options.js';
import type { Output } from './output.js';

export interface ProjectContext {
  stack: Stack;
  opened: ProjectRuntime;
  sink: EventSink;
}

/**
 * Loads the stack and opens its runtime; `supervise` starts the supervisor when none runs (commands
 * that create containers, which also refuse keys the runtime cannot honour). `check` runs before
 * anything is touched, so bad input (an unknown service, a gate that can never open) changes
 * nothing on the system.
 */
export async function openProject(
  globals: GlobalOptions,
  output: Output,
  supervise: boolean,
  check?: (stack: Stack) => void,
): Promise<ProjectContext> {
  const [{ loadCheckedStack }, { openProjectRuntime }, { chooseRenderer }] = await Promise.all([
    import('./load.js'),
    import('../orchestrator/project-runtime.js'),
    import('../renderers/index.js'),
  ]);
  const stack = await loadCheckedStack(globals);
  check?.(stack);
  const runtime = globals.runtime ?? stack.runtime;
  if (supervise) {
    const [{ chooseRuntime }, { assertRuntimeSupports }] = await Promise.all([import('../orchestrator/project-runtime.js'), import('../planner/runtime-support.js')]);
    assertRuntimeSupports(stack, chooseRuntime(runtime).runtime); // keys the runtime cannot honour: refused before anything starts
  }
  const opened = await openProjectRuntime(stack.name, { supervise, stack, say: (line) => output.err(line), ...(runtime ? { runtime } : {}) });
  const sink = chooseRenderer(globals.progress, process.stderr, output.color);
  return { stack, opened, sink };
}

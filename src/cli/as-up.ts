/**
 * `create` and `scale` are `up` with some of its flags (`--no-start`; `-d --scale`), as in Compose:
 * they run `up`'s own command (the same checks, plan, supervisor and messages) on the arguments
 * they make, under the same program, so the common options (-f, -p, --runtime, …) read the same.
 */
import type { Command } from 'commander';
import { upCommand } from './commands/up.js';
import type { Output } from './output.js';

/** Runs `stack up ARGS` for the command `from` (whose parent holds the common options). */
export async function runAsUp(output: Output, from: Command, args: string[]): Promise<void> {
  const up = upCommand(output);
  up.exitOverride();
  // optsWithGlobals() walks up through `parent`: the program that parsed the common options.
  (up as { parent: Command | null }).parent = from.parent;
  await up.parseAsync(args, { from: 'user' });
}

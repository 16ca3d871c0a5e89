/** `stack plan`: what `up` (or `down`) would do, as text, JSON or Graphviz, without touching anything. */
import { Command, Option } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

export function planCommand(output: Output): Command {
  return new Command('plan')
    .description('print the plan of operations for `up` (or `down`) as a dependency graph')
    .argument('[services...]', 'plan only these services (and what they depend on)')
    .option('--no-deps', 'do not include the services the named ones depend on')
    .option('--down', 'plan `down` instead of `up`')
    .option('-v, --volumes', 'with --down: also remove named volumes')
    .addOption(new Option('--json', 'print the plan as JSON').conflicts('dot'))
    .option('--dot', 'print the plan as a Graphviz digraph')
    .action(
      async (
        services: string[],
        opts: { deps: boolean; down?: boolean; volumes?: boolean; json?: boolean; dot?: boolean },
        command: Command,
      ) => {
        const globals = globalOptions(command);
        const [{ loadCheckedStack }, planner] = await Promise.all([import('../load.js'), import('../../planner/index.js')]);
        const { emptyObservedState, formatPlan, formatPlanDot, formatPlanJson, planDown, planUp } = planner;
        const stack = await loadCheckedStack(globals);
        const observed = emptyObservedState();
        const plan = opts.down
          ? planDown(stack, observed, { volumes: Boolean(opts.volumes), services })
          : planUp(stack, { services, noDeps: !opts.deps, profiles: globals.profile, observed });
        const text = opts.json ? JSON.stringify(formatPlanJson(plan), null, 2) : opts.dot ? formatPlanDot(plan) : formatPlan(plan);
        output.out(text);
      },
    );
}

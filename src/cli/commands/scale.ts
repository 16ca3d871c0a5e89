/** `stack scale SERVICE=N...`: Compose's `scale`, i.e. `up -d --scale SERVICE=N SERVICE`: each service to N containers. */
import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { Output } from '../output.js';

/** `web=3` → ['web', 3]; a usage error otherwise. */
export function scaleArgument(text: string): [string, number] {
  const m = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*)=(\d+)$/.exec(text);
  if (!m) throw new UsageError(`${text}: expected SERVICE=NUM, e.g. web=3\n(see \`stack scale --help\`)`);
  return [m[1]!, Number(m[2])];
}

export function scaleCommand(output: Output): Command {
  return new Command('scale')
    .description('run N containers of each SERVICE (more are made and started, the surplus removed), as `up -d --scale`')
    .argument('<service=num...>', 'the services and their number of containers')
    .option('--no-deps', 'do not start the services they depend on')
    .action(async (pairs: string[], flags: { deps: boolean }, command: Command) => {
      const scales = pairs.map(scaleArgument);
      // The swarm runtime (issue 18): only the replicas change, through the service update API.
      const { onSwarm, swarmScaleFromCli } = await import('../swarm-service-commands.js');
      if (await onSwarm(command)) return void (await swarmScaleFromCli(command, output, Object.fromEntries(scales)));
      const { runAsUp } = await import('../as-up.js');
      await runAsUp(output, command, ['-d', ...(flags.deps ? [] : ['--no-deps']), ...scales.flatMap(([s, n]) => ['--scale', `${s}=${n}`]), ...scales.map(([s]) => s)]);
    });
}

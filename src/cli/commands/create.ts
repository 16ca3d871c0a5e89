/** `stack create [SERVICE...]`: Compose's `create`, i.e. `up --no-start`: containers, networks and volumes made, nothing started. */
import { Command, Option } from 'commander';
import type { Output } from '../output.js';

export function createCommand(output: Output): Command {
  return new Command('create')
    .description('create the containers, networks and volumes of the services, starting nothing (`up --no-start`)')
    .argument('[services...]', 'only these services (and what they depend on)')
    .option('--build', 'build images even when present')
    .addOption(new Option('--no-build', 'build nothing; a service whose image is not built is an error'))
    .option('--force-recreate', 'recreate containers even when their configuration did not change')
    .addOption(new Option('--no-recreate', 'keep existing containers even when their configuration changed').conflicts('forceRecreate'))
    .addOption(new Option('--pull <policy>', 'pull images always, when missing, or never, instead of each service\'s pull_policy').choices(['always', 'missing', 'never']))
    .option('--quiet-pull', 'do not show the progress of pulls')
    .option('--remove-orphans', 'remove containers of services no longer in the file')
    .option('--scale <service=num>', 'make NUM containers of SERVICE, instead of its replicas (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .action(async (services: string[], flags: { build?: boolean; forceRecreate?: boolean; recreate: boolean; pull?: string; quietPull?: boolean; removeOrphans?: boolean; scale: string[] }, command: Command) => {
      const { runAsUp } = await import('../as-up.js');
      const args = [
        '--no-start',
        // --build and --no-build both given: up refuses the pair, read from the program's raw arguments.
        ...(flags.build === true ? ['--build'] : flags.build === false ? ['--no-build'] : []),
        ...(flags.forceRecreate ? ['--force-recreate'] : []),
        ...(flags.recreate ? [] : ['--no-recreate']),
        ...(flags.pull ? ['--pull', flags.pull] : []),
        ...(flags.quietPull ? ['--quiet-pull'] : []),
        ...(flags.removeOrphans ? ['--remove-orphans'] : []),
        ...flags.scale.flatMap((s) => ['--scale', s]),
        ...services,
      ];
      await runAsUp(output, command, args);
    });
}

/** `stack exec SERVICE COMMAND...`: a command inside a running container of a service, with the caller's terminal. */
import { Command, Option } from 'commander';
import { globalOptions } from '../global-options.js';
import { instanceValue } from '../option-values.js';
import type { Output } from '../output.js';

export function execCommand(output: Output): Command {
  return new Command('exec')
    .description('run a command in a running container of a service (use -- before a command with options)')
    .argument('<service>')
    .argument('<command...>')
    .option('-T, --no-tty', 'no pseudo-terminal, even when stdin is one')
    // `docker exec -it` habits, taken as Compose v2 takes them (hidden; both are its defaults).
    .addOption(new Option('-i, --interactive', 'keep standard input open (always)').hideHelp())
    .addOption(new Option('-t, --tty', 'a pseudo-terminal when stdin is one (the default)').hideHelp())
    .option('--index <n>', 'the instance, for services with replicas', instanceValue, 1)
    .option('-u, --user <user>', 'run as this user')
    .option('-w, --workdir <dir>', 'working directory')
    .option('-e, --env <KEY=VALUE>', 'an environment variable (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .action(
      async (
        service: string,
        args: string[],
        flags: { tty: boolean; index: number; user?: string; workdir?: string; env: string[] },
        command: Command,
      ) => {
        const globals = globalOptions(command);
        const [{ openProject }, { assertServicesExist }] = await Promise.all([import('../project.js'), import('../../planner/index.js')]);
        const env = (await import('../key-values.js')).parseKeyValues(flags.env, '--env');
        const { stack, opened, swarm } = await openProject(globals, output, false, (s) => assertServicesExist(s, [service]), { projectOnly: true, swarm: true });
        try {
          // The swarm runtime (issue 18): a running task's container, through its node's engine.
          if (swarm) {
            const { swarmExecCommand } = await import('../swarm-service-commands.js');
            const tty = flags.tty && Boolean(process.stdin.isTTY);
            return void (output.exitCode = await swarmExecCommand(swarm, stack, { service, index: flags.index, command: args, env, tty, ...(flags.user ? { user: flags.user } : {}), ...(flags.workdir ? { workdir: flags.workdir } : {}) }));
          }
          const result = await opened.runtime.exec(`${stack.name}-${service}-${flags.index}`, {
            command: args,
            env,
            interactive: true,
            tty: flags.tty && Boolean(process.stdin.isTTY),
            ...(flags.user ? { user: flags.user } : {}),
            ...(flags.workdir ? { workingDir: flags.workdir } : {}),
          });
          output.exitCode = result.exitCode;
        } finally {
          await opened.close();
        }
      },
    );
}

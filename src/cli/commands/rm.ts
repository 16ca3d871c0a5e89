/**
 * `stack rm [SERVICE...]`: Compose's `rm`: removes the project's stopped containers (one-offs of
 * `run` included), after asking unless -f; running ones stay unless -s stops them first. Networks
 * and volumes stay (`down` removes those).
 */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

export function rmCommand(output: Output): Command {
  return new Command('rm')
    .description('remove stopped containers of the services (asking first unless -f)')
    .argument('[services...]', 'only these services\' containers')
    .option('-f, --force', 'do not ask to confirm the removal')
    .option('-s, --stop', 'stop the containers first, if running')
    .option('-v, --volumes', 'remove the containers\' anonymous volumes (they always go with their container here, as on both runtimes)')
    .action(async (services: string[], flags: { force?: boolean; stop?: boolean; volumes?: boolean }, command: Command) => {
      const [{ openProject }, { stopStack }, { withProjectLock }, { Label }, { assertServicesExist }, { confirm }] = await Promise.all([
        import('../project.js'),
        import('../../orchestrator/stop.js'),
        import('../../orchestrator/project-runtime.js'),
        import('../../runtime/runtime.js'),
        import('../../planner/index.js'),
        import('../confirm.js'),
      ]);
      const { stack, opened, sink } = await openProject(globalOptions(command), output, false, (s) => assertServicesExist(s, services), { projectOnly: true });
      const { runtime } = opened;
      try {
        const picked = async () =>
          (await runtime.listContainers({ [Label.project]: stack.name })).filter((c) => services.length === 0 || services.includes(c.labels[Label.service] ?? ''));
        const busy = (state: string): boolean => state === 'running' || state === 'paused';
        if (flags.stop) {
          await withProjectLock(opened.root, stack.name, async () => {
            await stopStack(stack, runtime, { sink, services }); // in dependency order
            // One-offs of `run` (and what a file-less project names) are stopped one by one.
            await Promise.all((await picked()).filter((c) => busy(c.state)).map((c) => runtime.stopContainer(c.name)));
          });
        }
        const stopped = (await picked()).filter((c) => !busy(c.state)).map((c) => c.name).sort();
        if (stopped.length === 0) {
          output.err('No stopped containers');
          return;
        }
        const going = `Going to remove ${stopped.join(', ')}`;
        if (flags.force) output.err(going);
        else if (!(await confirm(`${going}. Are you sure?`))) {
          output.err('nothing removed (answer y to remove them, or give -f)');
          return;
        }
        await withProjectLock(opened.root, stack.name, async () => {
          for (const name of stopped) {
            await runtime.removeContainer(name);
            output.err(`removed ${name}`);
          }
        });
      } finally {
        await opened.close();
      }
    });
}

/** `stack down`: stop and remove everything of the project; nothing stays behind (volumes only without -v). */
import { Command, Option } from 'commander';
import { globalOptions } from '../global-options.js';
import { timeoutValue } from '../option-values.js';
import type { Output } from '../output.js';
import { traced } from '../../trace.js';

export function downCommand(output: Output): Command {
  return new Command('down')
    .description('stop and remove the containers and networks of the stack (and its volumes with -v)')
    .option('-v, --volumes', 'also remove named volumes')
    .option('-t, --timeout <seconds>', 'grace period for each container to stop, instead of its own (seconds, or 1m30s)', timeoutValue)
    // Compose's flags (issue 14). Orphans always go: down leaves nothing of the project behind.
    .addOption(new Option('--rmi <type>', 'also remove images: local (built by the project without an image: name) or all').choices(['local', 'all']))
    .option('--remove-orphans', 'remove containers of services no longer in the file (down always does; taken for Compose\'s scripts)')
    .action(async (flags: { volumes?: boolean; timeout?: number; rmi?: 'local' | 'all'; removeOrphans?: boolean }, command: Command) => {
      const globals = globalOptions(command);
      const [{ loadCheckedStack }, { downStack }, { chooseRenderer }, { stackForDown, namedProject, withProjectRuntime }] = await Promise.all([
        import('../load.js'),
        import('../../orchestrator/down.js'),
        import('../../renderers/index.js'),
        import('../project-only-stack.js'),
      ]);
      // -p NAME takes the project down even without a usable stack file (project-only-stack.ts).
      const named = namedProject(globals);
      const loaded = await traced('load-stack', undefined, () =>
        loadCheckedStack(globals).catch((err: unknown) => stackForDown(err, named, process.cwd(), (line) => output.err(output.color.yellow(`warning: ${line}`)))),
      );
      // A project named alone may be a Docker one: down looks where it is (project-only-runtime.ts).
      const stack = await traced('project-runtime', undefined, () => withProjectRuntime(loaded, globals.runtime));
      const started = performance.now();
      const sink = chooseRenderer(globals.progress, process.stderr, output.color);
      // The swarm runtime (issue 18): the project's services, networks, secrets and configs off the swarm (and with -v
      // its volumes on every node); a project this machine deployed there is found without --runtime (swarm-projects.ts).
      const onSwarm = (globals.runtime ?? stack.runtime) === 'swarm' || (!globals.runtime && !stack.runtime && (await import('../../orchestrator/swarm/swarm-projects.js')).isSwarmProject(stack.name));
      if (onSwarm) return void (await (await import('../swarm-commands.js')).swarmDownCommand(stack, sink, output, { volumes: Boolean(flags.volumes) }));
      const removed = await downStack(stack, {
        sink,
        ...(globals.runtime ? { runtime: globals.runtime } : {}),
        ...(flags.volumes ? { volumes: true } : {}),
        ...(flags.timeout !== undefined ? { timeout: flags.timeout } : {}),
        ...(flags.rmi ? { rmi: flags.rmi } : {}),
        say: (line) => output.err(line),
      });
      const secs = ((performance.now() - started) / 1000).toFixed(2);
      output.err(`${stack.name} is down: ${removed} container(s) removed${flags.volumes ? ', volumes too' : ''} in ${secs}s`);
    });
}

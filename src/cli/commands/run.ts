/** `stack run SERVICE [COMMAND...]`: a one-off container of a service; its output streamed, its exit code returned. */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

export function runCommand(output: Output): Command {
  return new Command('run')
    .description('run a one-off command in a new container of a service (after what it depends on is up)')
    .argument('<service>')
    .argument('[command...]', 'instead of the service\'s command')
    .option('--rm', 'remove the container when it exits')
    .option('-e, --env <KEY=VALUE>', 'an environment variable (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--no-deps', 'do not start the services it depends on')
    .option('--publish-all-interfaces', 'ports without an address listen on 0.0.0.0, as in Compose (default 127.0.0.1; also HAFEN_PUBLISH_ALL=1)')
    // issue 17: as `up --strict-limits`.
    .option('--strict-limits', 'refuse to start when a memory, cpus or pids limit cannot be applied (a user without root and no delegated cgroup)')
    .action(async (service: string, args: string[], flags: { rm?: boolean; env: string[]; deps: boolean; publishAllInterfaces?: boolean; strictLimits?: boolean }, command: Command) => {
      const globals = globalOptions(command);
      const { publishAllInterfaces, publishNotes } = await import('../publish-note.js');
      publishAllInterfaces(flags.publishAllInterfaces);
      const [{ openProject }, { createOneOff }, { onInterrupt }, { withProjectLock }] = await Promise.all([
        import('../project.js'),
        import('../../orchestrator/run-one-off.js'),
        import('../interrupt.js'),
        import('../../orchestrator/project-runtime.js'),
      ]);
      const env = (await import('../key-values.js')).parseKeyValues(flags.env, '--env');
      const { assertServicesExist } = await import('../../planner/index.js');
      const { stack, opened, sink } = await openProject(globals, output, { services: [service], noDeps: !flags.deps, ...(flags.strictLimits ? { strictLimits: true } : {}) }, (s) => assertServicesExist(s, [service]));
      for (const line of publishNotes(stack, globals.progress)) output.err(output.color.dim(line));
      using interrupt = onInterrupt();
      const { runtime } = opened;
      try {
        const name = await withProjectLock(opened.root, stack.name, () =>
          createOneOff(stack, service, { runtime, sink, command: args, env, noDeps: !flags.deps, signal: interrupt.signal, say: (line) => output.err(line), root: opened.root }),
        );
        try {
          await runtime.startContainer(name);
          const logs = (async () => {
            for await (const line of runtime.logs(name, { follow: true })) {
              (line.stream === 'stderr' ? process.stderr : process.stdout).write(line.text.endsWith('\n') ? line.text : `${line.text}\n`);
            }
          })();
          const stopOnInterrupt = (): void => void runtime.stopContainer(name, { timeout: 2000 }).catch(() => {});
          interrupt.signal.addEventListener('abort', stopOnInterrupt, { once: true });
          const status = await runtime.waitContainer(name);
          await logs;
          output.exitCode = status.exitCode;
          if (status.oomKilled) output.err(`${name} was OOM killed`);
        } finally {
          if (flags.rm) await runtime.removeContainer(name, { force: true });
          else output.err(output.color.dim(`container ${name} kept; \`stack down\` removes it`));
        }
      } finally {
        await opened.close();
      }
    });
}

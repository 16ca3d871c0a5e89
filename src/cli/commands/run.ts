/**
 * `stack run SERVICE [COMMAND...]`: a one-off container of a service, attached as Compose's `run` is:
 * this process's stdin goes to its command, a pseudo-terminal when stdin is a terminal (unless -T),
 * its output comes back and its exit code is ours.
 */
import { isatty } from 'node:tty';
import { Command, Option } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

interface RunFlags {
  rm?: boolean;
  env: string[];
  deps: boolean;
  publishAllInterfaces?: boolean;
  strictLimits?: boolean;
  // Compose's flags (cli-gaps).
  detach?: boolean;
  name?: string;
  entrypoint?: string;
  publish: string[];
  servicePorts?: boolean;
  user?: string;
  workdir?: string;
  volume: string[];
  label: string[];
  TTY: boolean;
  interactive?: boolean;
  build?: boolean;
  pull?: 'always' | 'missing' | 'never';
  quietPull?: boolean;
  useAliases?: boolean;
  capAdd: string[];
  capDrop: string[];
  removeOrphans?: boolean;
}

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
    // Compose's `run` flags, same names and meanings (cli-gaps).
    .addOption(new Option('-d, --detach', 'start the container and print its name, without waiting for it').conflicts('rm'))
    .option('--name <name>', 'the container\'s name (default PROJECT-SERVICE-run-XXXXXX)')
    .option('--entrypoint <command>', 'instead of the image\'s and the service\'s entrypoint (split as a shell splits words)')
    .option('-p, --publish <[ip:]host:container>', 'publish a port of the container (repeatable; the service\'s own ports only with --service-ports)', collect, [])
    .option('--service-ports', 'publish the service\'s ports, as `up` does')
    .option('-u, --user <user>', 'run as this user (name or uid[:gid])')
    .option('-w, --workdir <dir>', 'working folder inside the container')
    .option('-v, --volume <source:target[:ro]>', 'mount a volume of the file or a host path (relative to the project folder), as in volumes: (repeatable)', collect, [])
    .option('-l, --label <key=value>', 'add a label (repeatable)', collect, [])
    .option('-T, --no-TTY', 'no pseudo-terminal (the default when stdin is not a terminal; the service\'s tty: true is ignored)')
    .option('-i, --interactive', 'keep stdin attached (always, as Compose\'s default)')
    .option('--build', 'build the image even when present')
    .addOption(new Option('--pull <policy>', 'pull the image always, when missing, or never, instead of the service\'s pull_policy').choices(['always', 'missing', 'never']))
    .option('--quiet-pull', 'do not show the progress of pulls')
    .option('--use-aliases', 'the container answers to the service\'s names on its networks')
    .option('--cap-add <capability>', 'add a Linux capability (repeatable)', collect, [])
    .option('--cap-drop <capability>', 'drop a Linux capability (repeatable)', collect, [])
    .option('--remove-orphans', 'remove containers of services no longer in the file')
    .action(async (service: string, args: string[], flags: RunFlags, command: Command) => {
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
      const [{ runSpecChange }, { withRunOverrides }, { withoutPullProgress }] = await Promise.all([
        import('../run-flags.js'),
        import('../../planner/run-overrides.js'),
        import('../up-output.js'),
      ]);
      let change: ReturnType<typeof runSpecChange> | undefined;
      const { stack: fileStack, opened, sink: shown } = await openProject(globals, output, { services: [service], noDeps: !flags.deps, ...(flags.strictLimits ? { strictLimits: true } : {}) }, (s) => {
        assertServicesExist(s, [service]);
        change = runSpecChange(s, service, flags);
      });
      const stack = withRunOverrides(change?.stack ?? fileStack, flags.pull ? { pull: flags.pull } : {});
      const sink = flags.quietPull ? withoutPullProgress(shown) : shown;
      const adjust = (spec: Parameters<NonNullable<typeof change>['adjust']>[0]): void => {
        change?.adjust(spec);
        if (!flags.TTY) spec.tty = false;
        // Attached (Compose's run): stdin kept open until ours ends; a pseudo-terminal when ours is a
        // terminal. isatty, not process.stdin: Node would make a shared stdin pipe non-blocking.
        if (!flags.detach) Object.assign(spec, { stdinOpen: true, stdinOnce: true, tty: flags.TTY && isatty(0) });
      };
      for (const line of publishNotes(stack, globals.progress)) output.err(output.color.dim(line));
      using interrupt = onInterrupt();
      const { runtime } = opened;
      try {
        const name = await withProjectLock(opened.root, stack.name, () =>
          createOneOff(stack, service, {
            runtime,
            sink,
            command: args,
            env,
            noDeps: !flags.deps,
            signal: interrupt.signal,
            say: (line) => output.err(line),
            root: opened.root,
            adjust,
            ...(flags.name !== undefined ? { name: flags.name } : {}),
            ...(flags.build ? { build: true } : {}),
            ...(flags.removeOrphans ? { removeOrphans: true } : {}),
          }),
        );
        if (flags.detach) {
          await runtime.startContainer(name);
          output.out(name);
          return;
        }
        try {
          // Ctrl-C reaches this process only without a terminal (raw mode sends it to the container's).
          const stopOnInterrupt = (): void => void runtime.stopContainer(name, { timeout: 2000 }).catch(() => {});
          interrupt.signal.addEventListener('abort', stopOnInterrupt, { once: true });
          const status = await runtime.startAttached(name);
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

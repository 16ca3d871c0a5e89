/** `stack up`: the stack (or some services) up in dependency order, ready; attached (logs) unless -d. */
import { Command, Option } from 'commander';
import { globalOptions } from '../global-options.js';
import { scaleValue, serviceListValue, timeoutValue } from '../option-values.js';
import type { Output } from '../output.js';
import type { EventSink } from '../../executor/events.js';

interface UpFlags {
  /** Issue 20: start onto this snapshot. */
  fromSnapshot?: string;
  /** Rootless without a delegated cgroup: refuse limits that cannot be applied (issue 17). */
  strictLimits?: boolean;
  /** Issue 18, swarm: the registry built and imported images go through (over x-hafen-registry). */
  registry?: string;
  detach?: boolean;
  build?: boolean;
  deps: boolean;
  forceRecreate?: boolean;
  removeOrphans?: boolean;
  abortOnExit?: boolean;
  exitCodeFrom?: string;
  waitTimeout?: number;
  rollback?: boolean;
  dash?: boolean;
  publishAllInterfaces?: boolean;
  // Compose's flags (issue 14).
  wait?: boolean;
  timeout?: number;
  scale?: Record<string, number>;
  start: boolean;
  recreate: boolean;
  pull?: 'always' | 'missing' | 'never';
  quietPull?: boolean;
  color: boolean;
  logPrefix: boolean;
  timestamps?: boolean;
  attach?: string[];
  noAttach?: string[];
}

/**
 * `--no-attach SERVICE`: an option with a value whose name starts with `no-`; commander would take
 * it for the negation of `--attach`, so it gets a name of its own.
 */
function noAttachOption(): Option {
  const option = new Option('--no-attach <service>', 'attached: do not show this service\'s logs (repeatable)').argParser(serviceListValue).conflicts('detach');
  option.negate = false;
  option.attributeName = () => 'noAttach';
  return option;
}

export function upCommand(output: Output): Command {
  return new Command('up')
    .description('create and start the services in dependency order, waiting until each is ready')
    .argument('[services...]', 'only these services (and what they depend on)')
    .option('-d, --detach', 'return once everything is ready; the supervisor keeps it running')
    .option('--build', 'build images even when present')
    .option('--no-deps', 'do not start the services the named ones depend on')
    .option('--force-recreate', 'recreate containers even when their configuration did not change')
    .option('--remove-orphans', 'remove containers of services no longer in the file')
    .addOption(new Option('--abort-on-exit', 'stop everything when a container exits').conflicts('detach'))
    .addOption(new Option('--abort-on-container-exit').hideHelp().implies({ abortOnExit: true }))
    .addOption(new Option('--exit-code-from <service>', 'stop everything when this service exits, and exit with its code').conflicts('detach'))
    .option('--wait-timeout <seconds>', 'longest wait for one service to be ready (seconds, or 1m30s; default 2m)', timeoutValue)
    .option('--rollback', 'on failure, stop and remove what this run created')
    .option('--publish-all-interfaces', 'ports without an address listen on 0.0.0.0, as in Compose (default 127.0.0.1; also HAFEN_PUBLISH_ALL=1)')
    // Compose's flags, same names and meanings.
    .addOption(new Option('--wait', 'the same as -d: return once everything is ready (for scripts written for Compose)').conflicts(['abortOnExit', 'exitCodeFrom', 'attach', 'noAttach']))
    .option('-t, --timeout <seconds>', 'grace period of the stops when attached containers stop or are recreated (seconds, or 1m30s)', timeoutValue)
    .option('--scale <service=num>', 'run NUM containers of SERVICE, instead of its replicas (repeatable)', scaleValue)
    .option('--no-build', 'build nothing; a service whose image is not built is an error')
    .addOption(new Option('--no-start', 'create the containers, networks and volumes; start nothing').conflicts(['abortOnExit', 'exitCodeFrom', 'wait', 'dash']))
    .addOption(new Option('--no-recreate', 'keep existing containers even when their configuration changed').conflicts('forceRecreate'))
    .addOption(new Option('--pull <policy>', 'pull images always, when missing, or never, instead of each service\'s pull_policy').choices(['always', 'missing', 'never']))
    .option('--quiet-pull', 'do not show the progress of pulls')
    .option('--no-color', 'no colour in the output')
    .option('--no-log-prefix', 'attached: do not prefix log lines with the container')
    .option('--timestamps', 'attached: show each log line\'s time')
    .addOption(new Option('--attach <service>', 'attached: show only these services\' logs (repeatable)').argParser(serviceListValue).conflicts('detach'))
    .addOption(noAttachOption())
    .addOption(new Option('--dash', 'show the progress in the dashboard, then open it over the running stack').conflicts(['abortOnExit', 'exitCodeFrom']))
    .option('--from-snapshot <name>', 'put the containers onto snapshot NAME (`stack snapshot`) before they start (issue 20)')
    .option('--strict-limits', 'refuse to start when a memory, cpus or pids limit cannot be applied (a user without root and no delegated cgroup)')
    .option('--registry <host>', '--runtime swarm: push built and imported images to this registry HOST[:PORT] and deploy them by digest (overrides x-hafen-registry)')
    .action(async (services: string[], flags: UpFlags, command: Command) => {
      const globals = globalOptions(command);
      if (!flags.color) output.color.level = 0;
      const { publishAllInterfaces, publishNotes } = await import('../publish-note.js');
      publishAllInterfaces(flags.publishAllInterfaces);
      const [{ openProject }, { upStack }, { withProjectLock }, { attach }, { stopStack }, { onInterrupt }, { UsageError, ConfigError }, { Label }, { stopWhenEmpty }] =
        await Promise.all([
          import('../project.js'),
          import('../../orchestrator/up.js'),
          import('../../orchestrator/project-runtime.js'),
          import('../../orchestrator/attach.js'),
          import('../../orchestrator/stop.js'),
          import('../interrupt.js'),
          import('../../errors.js'),
          import('../../runtime/runtime.js'),
          import('../../orchestrator/down.js'),
        ]);
      // --build and --no-build set one value (the last given); Compose refuses the pair, and so do we.
      const raw = (command.parent as { rawArgs?: string[] } | null)?.rawArgs ?? []; // commander keeps it, untyped
      if (raw.includes('--build') && raw.includes('--no-build')) throw new UsageError('--build and --no-build cannot be used together');
      const { planUp } = await import('../../planner/index.js');
      const { assertRunOverrides, withRunOverrides } = await import('../../planner/run-overrides.js');
      const overrides = { ...(flags.scale ? { scale: flags.scale } : {}), ...(flags.pull ? { pull: flags.pull } : {}) };
      const [{ assertHostSources }, { plannedServices }, { swarmRegistryFlag }] = await Promise.all([import('../../orchestrator/host-sources.js'), import('../../orchestrator/check-external.js'), import('../swarm-registry-flag.js')]);
      const { stack: fileStack, opened, sink: renderer, swarm } = await openProject(globals, output, { services, noDeps: !flags.deps, ...(flags.strictLimits ? { strictLimits: true } : {}) }, (s) => {
        if (flags.exitCodeFrom && !s.services[flags.exitCodeFrom]) {
          throw new UsageError(`--exit-code-from ${flags.exitCodeFrom}: no such service in ${s.files.join(', ')}`);
        }
        for (const name of [...(flags.attach ?? []), ...(flags.noAttach ?? [])]) {
          if (!s.services[name]) throw new UsageError(`--${flags.attach?.includes(name) ? 'attach' : 'no-attach'} ${name}: no such service in ${s.files.join(', ')}`);
        }
        // Issue 18: --registry is the stack's registry before the support rules look for one.
        if (flags.registry !== undefined) (s as { registry?: string }).registry = swarmRegistryFlag(flags.registry, globals.runtime ?? s.runtime);
        assertRunOverrides(s, overrides);
        const plan = planUp(withRunOverrides(s, overrides), { services, noDeps: !flags.deps, profiles: globals.profile }); // throws what the plan cannot be
        assertHostSources(s, plannedServices(plan.nodes)); // a device as an archive, a missing long-syntax bind source
      }, { standby: true, swarm: true });
      const stack = withRunOverrides(fileStack, overrides);
      const { attachedLogSink, withoutPullProgress } = await import('../up-output.js');
      const formatted = attachedLogSink(renderer, { prefix: flags.logPrefix, timestamps: flags.timestamps === true }, globals.progress === 'json', (l) => output.err(l), output.color);
      const sink = flags.quietPull ? withoutPullProgress(formatted) : formatted;
      for (const line of publishNotes(stack, globals.progress)) output.err(output.color.dim(line));
      const c = output.color;
      using interrupt = onInterrupt(() => output.err(c.yellow('Interrupted: stopping what is in progress (Ctrl-C again to leave at once)')));
      // The swarm runtime (issue 18): services deployed in order through the manager (src/orchestrator/swarm/).
      if (swarm) return void (await (await import('../swarm-commands.js')).swarmUpCommand({ stack, opened, swarm, sink, output, signal: interrupt.signal, services, deps: flags.deps, profiles: globals.profile, detach: Boolean(flags.detach || flags.wait), ...(flags.waitTimeout !== undefined ? { waitTimeout: flags.waitTimeout } : {}), ...(flags.attach ? { attach: flags.attach } : {}), ...(flags.noAttach ? { noAttach: flags.noAttach } : {}), ...(flags.dash ? { dash: { globals } } : {}), ...(flags.build ? { build: true } : {}), ...(flags.build === false ? { noBuild: true } : {}) }));
      try {
        const began = new Date().toISOString();
        // issue 20: `--from-snapshot NAME` puts the containers onto the snapshot before they start.
        const startUp = flags.fromSnapshot ? (await import('../../orchestrator/snapshots.js')).upFromSnapshot(flags.fromSnapshot) : upStack;
        const upOnce = (sink: EventSink) => withProjectLock(opened.root, stack.name, () =>
          startUp(stack, {
            runtime: opened.runtime,
            sink,
            services,
            noDeps: !flags.deps,
            profiles: globals.profile,
            signal: interrupt.signal,
            say: (line) => output.err(line),
            root: opened.root,
            ...(flags.build ? { build: true } : {}),
            ...(flags.forceRecreate ? { forceRecreate: true } : {}),
            ...(flags.removeOrphans ? { removeOrphans: true } : {}),
            ...(flags.rollback ? { rollback: true } : {}),
            ...(flags.waitTimeout !== undefined ? { waitTimeout: flags.waitTimeout } : {}),
            ...(flags.build === false ? { noBuild: true } : {}),
            ...(!flags.start ? { noStart: true } : {}),
            ...(!flags.recreate ? { noRecreate: true } : {}),
            ...(flags.timeout !== undefined ? { timeout: flags.timeout } : {}),
          }),
        );
        if (flags.dash) {
          const { isInteractive, upWithDashboard } = await (await import('../../dashboard/load.js')).loadDashboard();
          if (isInteractive()) return void (await upWithDashboard({ stack, opened, globals, signal: interrupt.signal, say: (l) => output.err(l) }, upOnce));
          output.err(c.yellow('--dash needs a terminal; showing the progress as usual'));
        }
        const result = await upOnce(sink).catch(async (err: unknown) => {
          // Refused input (a missing external network, an image --no-build cannot make) started nothing: leave nothing either.
          const refused = err instanceof ConfigError || err instanceof UsageError;
          if (flags.rollback || refused) await stopWhenEmpty(opened, stack.name);
          const how = `see \`stack -p ${stack.name} ps\` and \`stack -p ${stack.name} logs SERVICE\`; \`stack -p ${stack.name} down\` removes it all`;
          if (err instanceof Error && !flags.rollback && !refused && !interrupt.signal.aborted) output.err(c.dim(how));
          throw err;
        });
        if (result.changes === 0) output.err(`${stack.name}: everything is up to date; nothing changed`);
        if (result.plan.orphans.length > 0 && !flags.removeOrphans) {
          output.err(c.yellow(`orphan containers (their service left the file): ${result.plan.orphans.join(', ')}; --remove-orphans removes them`));
        }
        if (!flags.start) {
          output.err(`${c.green(stack.name)}: created, not started. \`stack -p ${stack.name} start\` starts it, \`stack -p ${stack.name} down\` removes it.`);
          return;
        }
        if (flags.detach || flags.wait) {
          // issue 19: a remote project's published ports, reachable here.
          if (opened.remote || opened.ships) await (await import('../../remote/remote-lifecycle.js')).forwardAllRemotePorts(opened, stack.name, (l) => output.err(l));
          output.err(`${c.green(stack.name)} is up. \`stack -p ${stack.name} ps\` shows it, \`stack -p ${stack.name} down\` removes it.`);
          return;
        }
        // issue 19: while attached, a remote project's published ports are reachable here too (until it stops).
        const remote = opened.remote || opened.ships ? await import('../../remote/remote-lifecycle.js') : undefined;
        await remote?.forwardAllRemotePorts(opened, stack.name, (l) => output.err(l));
        const containers = (await opened.runtime.listContainers({ [Label.project]: stack.name })).filter((x) => !x.labels[Label.oneOff]);
        output.err(c.dim(`Attached to ${containers.length} containers; Ctrl-C stops them.`));
        const end = await attach({
          runtime: opened.runtime,
          stack,
          sink,
          containers,
          signal: interrupt.signal,
          since: began,
          ...(flags.attach ? { attach: flags.attach } : {}),
          ...(flags.noAttach ? { noAttach: flags.noAttach } : {}),
          ...(flags.abortOnExit ? { abortOnExit: true } : {}),
          ...(flags.exitCodeFrom ? { exitCodeFrom: flags.exitCodeFrom } : {}),
        });
        if (end.reason === 'exit') output.err(`${end.container} exited with code ${end.exitCode}; stopping the stack`);
        else if (end.reason === 'all-exited') output.err('every container exited; stopping the stack');
        else output.err('Gracefully stopping… (Ctrl-C again to leave at once)');
        await stopStack(stack, opened.runtime, { sink, ...(flags.timeout !== undefined ? { timeout: flags.timeout } : {}) });
        await remote?.stopAllForwarders(opened, stack.name);
        if (end.reason === 'exit') output.exitCode = end.exitCode;
        else if (end.reason === 'interrupt') output.exitCode = 130;
      } finally {
        await opened.close();
      }
    });
}

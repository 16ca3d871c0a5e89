/** `stack start | stop | restart | kill [SERVICE...]`: the containers' lifecycle, in dependency order. */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import { signalValue, timeoutValue } from '../option-values.js';
import type { Output } from '../output.js';

async function load() {
  const [project, up, stop, lock, runtime] = await Promise.all([
    import('../project.js'),
    import('../../orchestrator/up.js'),
    import('../../orchestrator/stop.js'),
    import('../../orchestrator/project-runtime.js'),
    import('../../runtime/runtime.js'),
  ]);
  return { ...project, ...up, ...stop, ...lock, ...runtime };
}

export function startCommand(output: Output): Command {
  return new Command('start')
    .description('start the services (creating containers that are missing) in dependency order, until ready')
    .argument('[services...]')
    .action(async (services: string[], _flags: unknown, command: Command) => {
      const m = await load();
      const { stack, opened, sink } = await m.openProject(globalOptions(command), output, { services });
      try {
        await m.withProjectLock(opened.root, stack.name, () => m.upStack(stack, { runtime: opened.runtime, sink, services, startFinished: true, say: (line) => output.err(line), root: opened.root }));
      } finally {
        await opened.close();
      }
    });
}

export function stopCommand(output: Output): Command {
  return new Command('stop')
    .description('stop running containers (dependents first), keeping them')
    .argument('[services...]')
    .option('-t, --timeout <seconds>', 'grace period instead of each service\'s own (seconds, or 1m30s)', timeoutValue)
    .action(async (services: string[], flags: { timeout?: number }, command: Command) => {
      const m = await load();
      const { stack, opened, sink } = await m.openProject(globalOptions(command), output, false, undefined, { projectOnly: true });
      try {
        const n = await m.withProjectLock(opened.root, stack.name, () =>
          m.stopStack(stack, opened.runtime, { sink, services, ...(flags.timeout !== undefined ? { timeout: flags.timeout } : {}) }),
        );
        if (n === 0) output.err(`${stack.name}: nothing running to stop`);
      } finally {
        await opened.close();
      }
    });
}

export function restartCommand(output: Output): Command {
  return new Command('restart')
    .description('stop, then start the services again, waiting until ready')
    .argument('[services...]')
    .option('-t, --timeout <seconds>', 'grace period instead of each service\'s own (seconds, or 1m30s)', timeoutValue)
    .action(async (services: string[], flags: { timeout?: number }, command: Command) => {
      const m = await load();
      const { stack, opened, sink, swarm } = await m.openProject(globalOptions(command), output, { services, noDeps: services.length > 0 }, undefined, { swarm: true });
      try {
        // The swarm runtime (issue 18): a rolling restart through the service update API.
        if (swarm) {
          using interrupt = (await import('../interrupt.js')).onInterrupt();
          return void (await (await import('../swarm-service-commands.js')).swarmRestartCommand(swarm, stack.name, services, sink, output, interrupt.signal));
        }
        await m.withProjectLock(opened.root, stack.name, async () => {
          await m.stopStack(stack, opened.runtime, { sink, services, ...(flags.timeout !== undefined ? { timeout: flags.timeout } : {}) });
          await m.upStack(stack, { runtime: opened.runtime, sink, services, noDeps: services.length > 0, say: (line) => output.err(line), root: opened.root });
        });
      } finally {
        await opened.close();
      }
    });
}

export function killCommand(output: Output): Command {
  return new Command('kill')
    .description('send a signal (default SIGKILL) to the running containers of the services')
    .argument('[services...]')
    .option('-s, --signal <signal>', 'the signal (name or number)', signalValue, 'SIGKILL')
    .action(async (services: string[], flags: { signal: string }, command: Command) => {
      const m = await load();
      const { stack, opened } = await m.openProject(globalOptions(command), output, false, undefined, { projectOnly: true });
      try {
        const running = (await opened.runtime.listContainers({ [m.Label.project]: stack.name })).filter(
          (c) => (c.state === 'running' || c.state === 'paused') && (services.length === 0 || services.includes(c.labels[m.Label.service] ?? '')),
        );
        await Promise.all(running.map((c) => opened.runtime.killContainer(c.name, flags.signal)));
        output.err(`${stack.name}: sent ${flags.signal} to ${running.length} container(s)${running.length ? `: ${running.map((c) => c.name).join(', ')}` : ''}`);
      } finally {
        await opened.close();
      }
    });
}

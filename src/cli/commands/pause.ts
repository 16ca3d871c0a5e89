/** `stack pause | unpause [SERVICE...]`: freeze and thaw the running containers of services (cgroup freezer; Docker's pause). */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

function freezerCommand(output: Output, verb: 'pause' | 'unpause'): Command {
  const pausing = verb === 'pause';
  return new Command(verb)
    .description(pausing ? 'pause the running containers of the services (all when none is named)' : 'unpause the paused containers of the services')
    .argument('[services...]')
    .action(async (services: string[], _flags: unknown, command: Command) => {
      const [{ openProject }, ops] = await Promise.all([import('../project.js'), import('../container-ops/service-containers.js')]);
      const { stack, opened } = await openProject(globalOptions(command), output, false, (s) => ops.checkServices(s, services), { projectOnly: true });
      try {
        const all = await ops.serviceContainers(opened.runtime, stack.name, services);
        const targets = all.filter((c) => c.state === (pausing ? 'running' : 'paused'));
        for (const c of targets) await (pausing ? opened.runtime.pauseContainer(c.name) : opened.runtime.unpauseContainer(c.name));
        const done = pausing ? 'paused' : 'unpaused';
        output.err(`${stack.name}: ${done} ${targets.length} container(s)${targets.length ? `: ${targets.map((c) => c.name).join(', ')}` : ''}`);
      } finally {
        await opened.close();
      }
    });
}

export function pauseCommand(output: Output): Command {
  return freezerCommand(output, 'pause');
}

export function unpauseCommand(output: Output): Command {
  return freezerCommand(output, 'unpause');
}

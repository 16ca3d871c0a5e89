/** `stack port SERVICE PORT`: the host address a container port is published on. */
import { Command, Option } from 'commander';
import { globalOptions } from '../global-options.js';
import { instanceValue } from '../option-values.js';
import type { Output } from '../output.js';

export function portCommand(output: Output): Command {
  return new Command('port')
    .description('print the host address where a container port is published (e.g. 127.0.0.1:49153)')
    .argument('<service>')
    .argument('<port>', 'the container port')
    .addOption(new Option('--protocol <protocol>').choices(['tcp', 'udp']).default('tcp'))
    .option('--index <n>', 'the instance, for services with replicas', instanceValue, 1)
    .action(async (service: string, port: string, flags: { protocol: string; index: number }, command: Command) => {
      const globals = globalOptions(command);
      const [{ openProject }, { UsageError, RuntimeError }, { assertServicesExist }] = await Promise.all([
        import('../project.js'),
        import('../../errors.js'),
        import('../../planner/select.js'),
      ]);
      const target = Number(port);
      if (!/^\d+$/.test(port) || target < 1 || target > 65535) throw new UsageError(`port ${port}: expected a number 1-65535`);
      const { stack, opened } = await openProject(globals, output, false, (s) => assertServicesExist(s, [service]), { projectOnly: true });
      try {
        const name = `${stack.name}-${service}-${flags.index}`;
        const info = await opened.runtime.inspectContainer(name);
        if (!info || (info.state !== 'running' && info.state !== 'paused')) throw new RuntimeError(`container ${name}`, 'is not running');
        const binding = info.ports.find((p) => p.target === target && p.protocol === flags.protocol);
        if (!binding) {
          const published = info.ports.map((p) => `${p.target}/${p.protocol}`).join(', ') || 'none';
          throw new RuntimeError(`container ${name}`, `port ${target}/${flags.protocol} is not published (published: ${published})`);
        }
        output.out(`${binding.hostIp}:${binding.hostPort}`);
      } finally {
        await opened.close();
      }
    });
}

/** `stack wait SERVICE...`: block until the services' containers stop, printing each one's exit code; `--down-project` takes the project down at the first. */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

export function waitCommand(output: Output): Command {
  return new Command('wait')
    .description("block until the services' containers stop, print their exit codes, and exit with the last one's")
    .argument('<services...>')
    .option('--down-project', 'take the whole project down when the first container stops')
    .action(async (services: string[], flags: { downProject?: boolean }, command: Command) => {
      const globals = globalOptions(command);
      const [{ openProject }, ops, { RuntimeError }] = await Promise.all([
        import('../project.js'),
        import('../container-ops/service-containers.js'),
        import('../../errors.js'),
      ]);
      const { stack, opened } = await openProject(globals, output, false, (s) => ops.checkServices(s, services), { projectOnly: true });
      const stop = new AbortController();
      let code = 0;
      try {
        const waited = (await ops.serviceContainers(opened.runtime, stack.name, services)).filter((c) => c.state !== 'created');
        if (waited.length === 0) throw new RuntimeError(`project ${stack.name}`, `no started container of ${services.join(', ')} to wait for`);
        const each = waited.map(async (c) => {
          const status = await opened.runtime.waitContainer(c.name, stop.signal);
          output.out(`${c.name} exited with code ${status.exitCode}${status.oomKilled ? ' (OOM killed)' : ''}`);
          code = status.exitCode;
        });
        for (const p of each) p.catch(() => {}); // the ones still waiting when the others are given up
        if (flags.downProject) await Promise.race(each);
        else await Promise.all(each);
      } finally {
        stop.abort();
        await opened.close();
      }
      if (flags.downProject) {
        const [{ downStack }, { chooseRenderer }] = await Promise.all([import('../../orchestrator/down.js'), import('../../renderers/index.js')]);
        const removed = await downStack(stack, { sink: chooseRenderer(globals.progress, process.stderr, output.color), ...(globals.runtime ? { runtime: globals.runtime } : {}) });
        output.err(`${stack.name} is down: ${removed} container(s) removed`);
      }
      output.exitCode = code;
    });
}

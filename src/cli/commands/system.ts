/**
 * `stack system …`: the remote ends of issue 19, run by the CLI of another machine over ssh (hidden
 * from help: nobody types them). `dial-stdio` serves the project's runtime on stdin/stdout, as
 * `docker system dial-stdio` does for a Docker engine; `exec-attach` runs one `stack exec` with
 * the ssh session's terminal, `run-attach` starts one `stack run`'s container with it; `relay` is
 * the far end of a reverse link (src/remote/ship-relay.ts).
 */
import { Command } from 'commander';
import type { Output } from '../output.js';

/**
 * For a user without root: runs this command again inside the user's namespaces (where its
 * containers, bridges and supervisors are) before it reads its channel, and exits with its code;
 * returns at once for root or once inside. `network`: the holder's network is connected first.
 */
async function enterUserNamespace(output: Output, network: boolean): Promise<void> {
  if (process.platform !== 'linux' || process.getuid?.() === 0) return;
  const { needsUserNamespace, rerunInUserNamespace } = await import('../../runtime/embedded/rootless/enter-namespace.js');
  if (needsUserNamespace()) await rerunInUserNamespace((l) => output.err(l), { network });
}

export function systemCommand(output: Output): Command {
  const system = new Command('system').description('ends of a connection from another machine (issue 19: `HAFEN_HOST=ssh://…`)');
  system
    .command('dial-stdio')
    .description('serve this host\'s embedded runtime on standard input and output (what `HAFEN_HOST=ssh://…` runs here)')
    .action(async () => {
      await enterUserNamespace(output, true);
      const { serveAgent } = await import('../../remote/agent.js');
      await serveAgent(process.stdin, process.stdout);
      // The channel is gone and the project let go of: nothing here is worth waiting for (a
      // supervisor's half-closed socket or a timer of the runtime would keep Node up for seconds).
      process.exit(0);
    });
  system
    .command('exec-attach')
    .description('run a command in a container of a project here, attached to this terminal (what `stack exec` with HAFEN_HOST runs here)')
    .requiredOption('--project <name>', 'the project')
    .requiredOption('--container <name>', 'the container')
    .requiredOption('--spec <encoded>', 'the exec options, encoded')
    .action(async (flags: { project: string; container: string; spec: string }) => {
      await enterUserNamespace(output, false);
      const [{ openProjectRuntime }, { decodeExec }] = await Promise.all([import('../../orchestrator/project-runtime.js'), import('../../remote/remote-exec.js')]);
      const opened = await openProjectRuntime(flags.project, { runtime: 'embedded', supervise: false, say: (l) => output.err(l) });
      try {
        const result = await opened.runtime.exec(flags.container, { ...decodeExec(flags.spec), interactive: true });
        output.exitCode = result.exitCode;
      } finally {
        await opened.close();
      }
    });
  system
    .command('run-attach')
    .description('start a created container of a project here, attached to this terminal (what an attached `stack run` with HAFEN_HOST runs here)')
    .requiredOption('--project <name>', 'the project')
    .requiredOption('--container <name>', 'the container')
    .action(async (flags: { project: string; container: string }) => {
      await enterUserNamespace(output, true);
      const { openProjectRuntime } = await import('../../orchestrator/project-runtime.js');
      const opened = await openProjectRuntime(flags.project, { runtime: 'embedded', supervise: true, say: (l) => output.err(l) });
      try {
        output.exitCode = (await opened.runtime.startAttached(flags.container)).exitCode;
      } finally {
        await opened.close();
      }
    });
  system
    .command('relay')
    .description('relay connections to a bridge\'s address to 127.0.0.1, same port, while the ssh connection that runs it lasts (a service on this host depending on one of another machine)')
    .option('--bridge <names>', 'the bridges whose addresses to listen on, comma-separated (none: the forward\'s loopback port serves alone)')
    .requiredOption('--ports <list>', 'the ports, comma-separated')
    .action(async (flags: { bridge?: string; ports: string }) => {
      // A user without root: its bridges are in its namespaces; the way back to the link's loopback port is the host's loopback relay.
      await enterUserNamespace(output, false);
      const { serveRelay } = await import('../../remote/ship-relay.js');
      process.exit(await serveRelay(flags.bridge?.split(',').filter(Boolean) ?? [], flags.ports.split(',').map(Number)));
    });
  return system;
}

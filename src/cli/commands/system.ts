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
  // `stack cp` with HAFEN_HOST (remote-copy.ts): the archive is this session's stdout or stdin.
  const copyEnd = (name: string, what: string) =>
    system
      .command(name)
      .description(what)
      .requiredOption('--project <name>', 'the project')
      .requiredOption('--container <name>', 'the container')
      .option('--archive', 'keep owners')
      .option('--follow-link', 'follow a symlink given as the source');
  copyEnd('copy-out', 'write a path of a container here to standard output as a tar (what `stack cp SERVICE:SRC DEST` with HAFEN_HOST runs here)')
    .requiredOption('--src <path>', 'the path in the container')
    .action(async (flags: { project: string; container: string; archive?: boolean; followLink?: boolean; src: string }) => {
      // Like exec-attach: a user without root there sees its containers only inside its namespaces.
      await enterUserNamespace(output, false);
      const { copyOutEnd } = await import('../../remote/copy-ends.js');
      output.exitCode = await copyOutEnd({ project: flags.project, container: flags.container, opts: { archive: flags.archive === true, followLink: flags.followLink === true } }, flags.src, process.stdout);
    });
  copyEnd('copy-in', 'copy the tar on standard input into a container here (what `stack cp SRC SERVICE:DEST` with HAFEN_HOST runs here)')
    .requiredOption('--dest <path>', 'the path in the container')
    .option('--name <name>', 'the name the source goes by')
    .option('--contents', 'copy the source folder\'s contents (SRC/.)')
    .action(async (flags: { project: string; container: string; archive?: boolean; dest: string; name?: string; contents?: boolean }) => {
      // Like exec-attach: a user without root there sees its containers only inside its namespaces.
      await enterUserNamespace(output, false);
      const { copyInEnd } = await import('../../remote/copy-ends.js');
      output.exitCode = await copyInEnd({ project: flags.project, container: flags.container, opts: { archive: flags.archive === true } }, flags.dest, flags.name ?? '', flags.contents === true, process.stdin);
    });
  system
    .command('agent-socket')
    .description('say the SSH agent socket this ssh session forwards, and hold it until standard input ends (a build with build.ssh and HAFEN_HOST)')
    .action(async () => {
      const { serveAgentSocket } = await import('../../remote/agent-forward.js');
      await serveAgentSocket(process.stdin, process.stdout);
      process.exit(0);
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

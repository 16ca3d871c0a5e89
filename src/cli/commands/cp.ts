/** `stack cp SERVICE:SRC DEST` and `stack cp SRC SERVICE:DEST`: files between a service's container and this host, by docker cp's rules. */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import { instanceValue } from '../option-values.js';
import type { Output } from '../output.js';

export function cpCommand(output: Output): Command {
  return new Command('cp')
    .description('copy files or folders between a service container and this host (SERVICE:SRC DEST, or SRC SERVICE:DEST)')
    .argument('<src>', 'SERVICE:PATH or a host path')
    .argument('<dest>', 'a host path or SERVICE:PATH')
    .option('--index <n>', 'the instance, for services with replicas (default: the first when copying out, every one when copying in)', instanceValue)
    .option('-a, --archive', 'keep the owners (uid/gid) of what is copied')
    .option('-L, --follow-link', 'copy what a symlink given as SRC points to')
    .action(async (src: string, dest: string, flags: { index?: number; archive?: boolean; followLink?: boolean }, command: Command) => {
      const [{ openProject }, ops, { parseCopyArgs }, { RuntimeError }] = await Promise.all([
        import('../project.js'),
        import('../container-ops/service-containers.js'),
        import('../container-ops/copy-args.js'),
        import('../../errors.js'),
      ]);
      const args = parseCopyArgs(src, dest);
      const { stack, opened } = await openProject(globalOptions(command), output, false, (s) => ops.checkServices(s, [args.service]), { projectOnly: true });
      try {
        const all = await ops.serviceContainers(opened.runtime, stack.name, [args.service]);
        const chosen = flags.index !== undefined ? all.filter((c) => ops.serviceOf(c).instance === String(flags.index)) : all;
        if (chosen.length === 0) {
          const which = flags.index !== undefined ? ` with index ${flags.index}` : '';
          throw new RuntimeError(`service ${args.service}`, `has no container${which} in ${stack.name}; \`stack up\` or \`stack create\` it first`);
        }
        const opts = { ...(flags.archive ? { archive: true } : {}), ...(flags.followLink ? { followLink: true } : {}) };
        if (args.direction === 'from-container') {
          const c = chosen[0]!;
          await opened.runtime.copyFromContainer(c.name, args.containerPath, args.hostPath, opts);
          output.err(`copied ${c.name}:${args.containerPath} to ${args.hostPath}`);
        } else {
          for (const c of chosen) {
            await opened.runtime.copyToContainer(c.name, args.hostPath, args.containerPath, opts);
            output.err(`copied ${args.hostPath} to ${c.name}:${args.containerPath}`);
          }
        }
      } finally {
        await opened.close();
      }
    });
}

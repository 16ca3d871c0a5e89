/**
 * `stack pull`: fetches the images of services that have no build: section, from their registries
 * (or imports docker-archive:/oci: ones), all at once, each progress line prefixed by the service.
 * `pull_policy: never` and `build` services are skipped; `missing` and `always` re-check the
 * registry, downloading only layers the store lacks.
 */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

export function pullCommand(output: Output): Command {
  return new Command('pull')
    .description('pull the images of services without a build: section (only layers not in the store are downloaded)')
    .argument('[services...]', 'only these services')
    .option('-q, --quiet', 'print no progress')
    .option('--ignore-pull-failures', 'pull what can be pulled and report the rest')
    .action(async (services: string[], opts: { quiet?: boolean; ignorePullFailures?: boolean }, command: Command) => {
      const globals = globalOptions(command);
      const [{ openProject }, { selectServices, imageSource }, { StackError, InterruptedError }, { onInterrupt }] = await Promise.all([
        import('../project.js'),
        import('../../planner/index.js'),
        import('../../errors.js'),
        import('../interrupt.js'),
      ]);
      const { stack, opened } = await openProject(globals, output, false, undefined, { network: true }); // rootless: registries are reached through the holder's network
      const c = output.color;
      // Ctrl-C or SIGTERM stops every pull; what each had stored is taken away again.
      using interrupt = onInterrupt(() => output.err(c.yellow('Interrupted: stopping the pulls')));
      try {
        const selected = [...selectServices(stack, services, { noDeps: true, profiles: globals.profile })];
        // One pull per image, named by the first service using it.
        const images = new Map<string, string>();
        for (const name of selected) {
          const service = stack.services[name]!;
          const source = imageSource(stack, service);
          if (source.kind === 'build' || source.kind === 'builtin') {
            if (services.includes(name)) output.err(c.dim(`${name}: skipped, ${source.kind === 'build' ? 'its image is built (stack build)' : `image ${source.ref} is built in`}`));
            continue;
          }
          if (service.pull_policy === 'never' || service.pull_policy === 'build') {
            output.err(c.dim(`${name}: skipped (pull_policy: ${service.pull_policy})`));
            continue;
          }
          if (!images.has(source.ref)) images.set(source.ref, name);
        }
        if (images.size === 0) {
          output.err('nothing to pull: no selected service names an image from a registry or archive');
          return;
        }
        const failures: string[] = [];
        await Promise.all(
          [...images].map(async ([image, service]) => {
            const started = performance.now();
            if (!opts.quiet) output.err(`${c.bold(service)}: pulling ${image}`);
            try {
              await opened.runtime.pullImage(image, opts.quiet ? undefined : (line) => output.err(`${service}: ${c.dim(line)}`), interrupt.signal);
              if (!opts.quiet) output.err(`${c.bold(service)}: ${c.green('pulled')} ${image} in ${((performance.now() - started) / 1000).toFixed(2)}s`);
            } catch (err) {
              if (interrupt.signal.aborted) throw new InterruptedError(`${service}: pulling ${image} interrupted; nothing of it was kept`);
              if (!(err instanceof StackError) || !opts.ignorePullFailures) throw err;
              failures.push(`${service}: ${err.message}`);
            }
          }),
        );
        for (const f of failures) output.err(c.yellow(`warning: ${f}`));
      } finally {
        await opened.close();
      }
    });
}

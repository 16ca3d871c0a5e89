/**
 * `stack push`: sends the images of services (built, imported or pulled) to a registry, as
 * `docker compose push` does: each service's `image:` when it names a registry, else under the
 * registry of `--registry` or `x-hafen-registry`. Per layer a progress line on stderr (pushed,
 * exists, mounted from …); per service `SERVICE  REF@sha256:…` on stdout when its push is done.
 */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);
const size = (n: number): string => (n < 1 << 20 ? `${(n / 1024).toFixed(1)} kB` : `${(n / (1 << 20)).toFixed(1)} MB`);

export function pushCommand(output: Output): Command {
  return new Command('push')
    .description('push the images of services to a registry (image: names it, or --registry / x-hafen-registry)')
    .argument('[services...]', 'only these services')
    .option('--registry <host>', 'registry HOST[:PORT] for images whose image: names none (overrides x-hafen-registry)')
    .option('--include-deps', 'also push the images of the services they depend on')
    .option('--ignore-push-failures', 'push what can be pushed and report the rest')
    .option('-q, --quiet', 'print no progress')
    .action(async (services: string[], opts: { registry?: string; includeDeps?: boolean; ignorePushFailures?: boolean; quiet?: boolean }, command: Command) => {
      const globals = globalOptions(command);
      const [{ openProject }, { selectServices }, { pushTargets }, { openImageService }, { StackError, InterruptedError }, { onInterrupt }] = await Promise.all([
        import('../project.js'),
        import('../../planner/index.js'),
        import('../../orchestrator/push-targets.js'),
        import('../../orchestrator/images.js'),
        import('../../errors.js'),
        import('../interrupt.js'),
      ]);
      // Where each image goes is settled (and a service with no registry refused) before anything is touched.
      let plan: ReturnType<typeof pushTargets> | undefined;
      const { stack, opened } = await openProject(globals, output, false, (s) => {
        plan = pushTargets(s, [...selectServices(s, services, { noDeps: !opts.includeDeps, profiles: globals.profile })], opts.registry);
      });
      const c = output.color;
      using interrupt = onInterrupt(() => output.err(c.yellow('Interrupted: stopping the pushes')));
      try {
        const { targets, skipped } = plan!;
        for (const s of skipped) if (services.includes(s.service)) output.err(c.dim(`${s.service}: skipped, ${s.why}`));
        if (targets.length === 0) {
          output.err(`nothing to push: no selected service of ${stack.name} has an image to push`);
          return;
        }
        const images = await openImageService(opened.runtime.name, { root: opened.root });
        const failures: string[] = [];
        const lines = new Map<string, string>();
        await Promise.all(
          targets.map(async ({ services: names, local, target }) => {
            const who = names.join(', ');
            if (!opts.quiet) output.err(`${c.bold(who)}: pushing ${target}`);
            try {
              const pushed = await images.push(local, target, {
                signal: interrupt.signal,
                onLayer: (l) => {
                  if (opts.quiet) return;
                  const what = l.outcome === 'mounted' ? `mounted from ${l.from}` : l.outcome === 'pushed' && l.size !== undefined ? `pushed ${size(l.size)}${l.chunks ? ` in ${l.chunks} chunks` : ''}` : l.outcome;
                  output.err(`${who}: ${c.dim(`${short(l.id)}: ${what}`)}`);
                },
              });
              for (const name of names) lines.set(name, `${name}  ${pushed.reference}@${pushed.digest}`);
            } catch (err) {
              if (interrupt.signal.aborted) throw new InterruptedError(`${who}: pushing ${target} interrupted`);
              if (!(err instanceof StackError) || !opts.ignorePushFailures) throw err;
              failures.push(`${who}: ${err.message}`);
            }
          }),
        );
        // In the order of the services, whatever order the pushes ended in.
        const done = targets.flatMap((t) => t.services).filter((s) => lines.has(s));
        if (done.length) output.out(done.map((s) => lines.get(s)!).join('\n'));
        for (const f of failures) output.err(c.yellow(`warning: ${f}`));
      } finally {
        await opened.close();
      }
    });
}

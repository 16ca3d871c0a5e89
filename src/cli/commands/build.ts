/** `stack build`: builds the images of services that have `build:`, showing each step and whether it was cached. */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Output } from '../output.js';

export function buildCommand(output: Output): Command {
  return new Command('build')
    .description('build the images of services with a build: section (each step shown, CACHED when reused)')
    .argument('[services...]', 'only these services')
    .option('--no-cache', 'run every step, whatever the build cache holds')
    .option('--build-arg <KEY=VALUE>', 'a build argument (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .action(async (services: string[], opts: { cache: boolean; buildArg: string[] }, command: Command) => {
      const globals = globalOptions(command);
      const [{ loadCheckedStack }, { EmbeddedImages }, { selectServices }, { UsageError }] = await Promise.all([
        import('../load.js'),
        import('../../runtime/embedded/embedded-images.js'),
        import('../../planner/index.js'),
        import('../../errors.js'),
      ]);
      const stack = await loadCheckedStack(globals);
      const selected = [...selectServices(stack, services, { noDeps: true, profiles: globals.profile })];
      const toBuild = selected.map((name) => stack.services[name]!).filter((s) => s.build);
      if (services.length > 0 && toBuild.length < services.length) {
        const without = services.filter((n) => !stack.services[n]?.build);
        throw new UsageError(`nothing to build for ${without.map((n) => `"${n}"`).join(', ')}: no build: section`);
      }
      const { parseKeyValues } = await import('../key-values.js');
      const cliArgs = parseKeyValues(opts.buildArg, '--build-arg');
      const c = output.color;
      const { chooseRuntime, openProjectRuntime } = await import('../../orchestrator/project-runtime.js');
      if (chooseRuntime(globals.runtime ?? stack.runtime).runtime === 'docker') {
        // The engine builds: the same context and Dockerfile, its own cache.
        const opened = await openProjectRuntime(stack.name, { runtime: 'docker', supervise: false, stack });
        try {
          for (const service of toBuild) {
            const spec = service.build!;
            const tag = service.image ?? `${stack.name}-${service.name}`;
            output.err(c.bold(`Building ${service.name} (${tag}) on Docker`));
            const info = await opened.runtime.buildImage(
              { contextDir: spec.context, dockerfile: spec.dockerfile, args: { ...spec.args, ...cliArgs }, ...(spec.target ? { target: spec.target } : {}), tag, noCache: spec.no_cache || !opts.cache, labels: spec.labels },
              (e) => {
                if (e.kind === 'step-start') output.err(`#${e.index} [${e.index}/${e.total}] ${e.text}${e.cached ? c.cyan('  CACHED') : ''}`);
                else if (e.kind === 'output') output.err(c.dim(`   ${e.line}`));
              },
            );
            output.err(`${c.green('Built')} ${tag} ${info.id.slice(0, 19)}`);
          }
        } finally {
          await opened.close();
        }
        return;
      }
      const images = new EmbeddedImages();
      for (const service of toBuild) {
        const spec = service.build!;
        const tag = service.image ?? `${stack.name}-${service.name}`;
        const started = performance.now();
        output.err(c.bold(`Building ${service.name} (${tag})`));
        const result = await images.build(
          { contextDir: spec.context, dockerfile: spec.dockerfile, args: { ...spec.args, ...cliArgs }, ...(spec.target ? { target: spec.target } : {}), tag, noCache: spec.no_cache || !opts.cache, labels: spec.labels },
          (e) => {
            if (e.kind === 'step-start') {
              const place = 'stage' in e ? `[${e.stage} ${e.stageStep}/${e.stageSteps}]` : `[${e.index}/${e.total}]`;
              output.err(`#${e.index} ${place} ${e.text}${e.cached ? c.cyan('  CACHED') : ''}`);
            } else if (e.kind === 'output') {
              output.err(c.dim(`   ${e.line}`));
            }
          },
        );
        for (const w of result.warnings) output.err(c.yellow(`warning: ${typeof w === 'string' ? w : w.message}`));
        const secs = ((performance.now() - started) / 1000).toFixed(2);
        output.err(
          `${c.green('Built')} ${tag} ${result.image.manifest.config.digest.slice(0, 19)} in ${secs}s: ${result.executedSteps} step(s) run, ${result.cachedSteps} cached`,
        );
      }
      if (toBuild.length === 0) output.err('nothing to build: no selected service has a build: section');
    });
}

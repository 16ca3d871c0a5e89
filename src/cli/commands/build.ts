/** `stack build`: builds the images of services that have `build:`, showing each step and whether it was cached. */
import { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import type { BuildSpec } from '../../config/model.js';
import type { Output } from '../output.js';

export function buildCommand(output: Output): Command {
  return new Command('build')
    .description('build the images of services with a build: section (each step shown, CACHED when reused)')
    .argument('[services...]', 'only these services')
    .option('--no-cache', 'run every step, whatever the build cache holds')
    .option('--build-arg <KEY=VALUE>', 'a build argument (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .action(async (services: string[], opts: { cache: boolean; buildArg: string[] }, command: Command) => {
      const globals = globalOptions(command);
      const [{ loadCheckedStack }, { EmbeddedRuntime }, { selectServices }, { UsageError }] = await Promise.all([
        import('../load.js'),
        import('../../runtime/embedded/embedded-runtime.js'),
        import('../../planner/index.js'),
        import('../../errors.js'),
      ]);
      const stack = await loadCheckedStack(globals);
      const selected = [...selectServices(stack, services, { noDeps: true, profiles: globals.profile })];
      const { buildRequest } = await import('../../executor/build-request.js');
      const { contextServices } = await import('../../planner/build-support.js');
      // A build naming another service's image as a context (`service:NAME`) comes after that service's build.
      const toBuild = orderBuilds(selected.map((name) => stack.services[name]!).filter((s) => s.build), contextServices);
      if (services.length > 0 && toBuild.length < services.length) {
        const without = services.filter((n) => !stack.services[n]?.build);
        throw new UsageError(`nothing to build for ${without.map((n) => `"${n}"`).join(', ')}: no build: section`);
      }
      const { parseKeyValues } = await import('../key-values.js');
      const cliArgs = parseKeyValues(opts.buildArg, '--build-arg');
      const c = output.color;
      // Ctrl-C stops the build (a base image being pulled included) and leaves no half-made image.
      const { onInterrupt } = await import('../interrupt.js');
      using interrupt = onInterrupt(() => output.err(c.yellow('Interrupted: stopping the build (Ctrl-C again to leave at once)')));
      const { InterruptedError } = await import('../../errors.js');
      const interrupted = (name: string) => (err: unknown): never => {
        throw interrupt.signal.aborted ? new InterruptedError(`${name}: build interrupted; nothing of it was kept`) : err;
      };
      const { chooseRuntime, openProjectRuntime } = await import('../../orchestrator/project-runtime.js');
      const runtimeName = chooseRuntime(globals.runtime ?? stack.runtime).runtime;
      const { assertRuntimeSupports } = await import('../../planner/runtime-support.js');
      assertRuntimeSupports(stack, runtimeName, toBuild.map((s) => s.name));
      if (runtimeName === 'docker') {
        // The engine builds: the same context and Dockerfile, its own cache.
        const opened = await openProjectRuntime(stack.name, { runtime: 'docker', supervise: false, stack });
        try {
          for (const service of toBuild) {
            const spec = service.build!;
            const tag = service.image ?? `${stack.name}-${service.name}`;
            output.err(c.bold(`Building ${service.name} (${tag}) on Docker`));
            const info = await opened.runtime.buildImage(
              buildRequest(stack, spec, tag, { args: cliArgs, noCache: spec.no_cache || !opts.cache }),
              (e) => {
                if (e.kind === 'step-start') output.err(`#${e.index} [${e.index}/${e.total}] ${e.text}${e.cached ? c.cyan('  CACHED') : ''}`);
                else if (e.kind === 'output') output.err(c.dim(`   ${e.line}`));
              },
              interrupt.signal,
            ).catch(interrupted(service.name));
            output.err(`${c.green('Built')} ${tag} ${info.id.slice(0, 19)}`);
          }
        } finally {
          await opened.close();
        }
        return;
      }
      const images = new EmbeddedRuntime();
      try {
        for (const service of toBuild) {
          const spec = service.build!;
          const tag = service.image ?? `${stack.name}-${service.name}`;
          const started = performance.now();
          output.err(c.bold(`Building ${service.name} (${tag})`));
          const result = await images.build(
            buildRequest(stack, spec, tag, { args: cliArgs, noCache: spec.no_cache || !opts.cache }),
            (e) => {
              if (e.kind === 'step-start') {
                const place = 'stage' in e ? `[${e.stage} ${e.stageStep}/${e.stageSteps}]` : `[${e.index}/${e.total}]`;
                output.err(`#${e.index} ${place} ${e.text}${e.cached ? c.cyan('  CACHED') : ''}`);
              } else if (e.kind === 'output') {
                output.err(c.dim(`   ${e.line}`));
              }
            },
            interrupt.signal,
          ).catch(interrupted(service.name));
          for (const w of result.warnings) output.err(c.yellow(`warning: ${typeof w === 'string' ? w : w.message}`));
          const secs = ((performance.now() - started) / 1000).toFixed(2);
          output.err(
            `${c.green('Built')} ${tag} ${result.image.manifest.config.digest.slice(0, 19)} in ${secs}s: ${result.executedSteps} step(s) run, ${result.cachedSteps} cached`,
          );
        }
      } finally {
        await images.close();
      }
      if (toBuild.length === 0) output.err('nothing to build: no selected service has a build: section');
    });
}

/** Services in an order where each comes after the services its build takes as contexts. */
function orderBuilds<S extends { name: string; build?: BuildSpec }>(services: S[], contextServices: (b: BuildSpec) => string[]): S[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const out: S[] = [];
  const seen = new Set<string>();
  const visit = (s: S): void => {
    if (seen.has(s.name)) return;
    seen.add(s.name);
    for (const dep of contextServices(s.build!)) {
      const d = byName.get(dep);
      if (d) visit(d);
    }
    out.push(s);
  };
  services.forEach(visit);
  return out;
}

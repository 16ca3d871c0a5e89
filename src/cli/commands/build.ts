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
      const [{ loadCheckedStack }, { selectServices }, { UsageError, InterruptedError }, { buildImages, orderBuilds }, { chooseRuntime }, { assertRuntimeSupports }, { parseKeyValues }, { onInterrupt }] =
        await Promise.all([
          import('../load.js'),
          import('../../planner/index.js'),
          import('../../errors.js'),
          import('../../orchestrator/build-images.js'),
          import('../../orchestrator/project-runtime.js'),
          import('../../planner/runtime-support.js'),
          import('../key-values.js'),
          import('../interrupt.js'),
        ]);
      const stack = await loadCheckedStack(globals);
      const selected = [...selectServices(stack, services, { noDeps: true, profiles: globals.profile })];
      // A build naming another service's image as a context (`service:NAME`) comes after that service's build.
      const toBuild = orderBuilds(selected.map((name) => stack.services[name]!).filter((s) => s.build));
      if (services.length > 0 && toBuild.length < services.length) {
        const without = services.filter((n) => !stack.services[n]?.build);
        throw new UsageError(`nothing to build for ${without.map((n) => `"${n}"`).join(', ')}: no build: section`);
      }
      const cliArgs = parseKeyValues(opts.buildArg, '--build-arg');
      const runtime = chooseRuntime(globals.runtime ?? stack.runtime).runtime;
      assertRuntimeSupports(stack, runtime, toBuild.map((s) => s.name));
      const c = output.color;
      // Ctrl-C stops the build (a base image being pulled included) and leaves no half-made image.
      using interrupt = onInterrupt(() => output.err(c.yellow('Interrupted: stopping the build (Ctrl-C again to leave at once)')));
      let building = '';
      await buildImages(stack, toBuild, { runtime, args: cliArgs, noCache: !opts.cache, signal: interrupt.signal }, (e) => {
        switch (e.kind) {
          case 'service-start':
            building = e.service;
            return output.err(c.bold(`Building ${e.service} (${e.tag})${e.runtime === 'docker' ? ' on Docker' : ''}`));
          case 'step-start':
            return output.err(`#${e.index} ${e.place} ${e.text}${e.cached ? c.cyan('  CACHED') : ''}`);
          case 'output':
            return output.err(c.dim(`   ${e.line}`));
          case 'warning':
            return output.err(c.yellow(`warning: ${e.message}`));
          case 'service-done': {
            const steps = e.steps ? ` in ${(e.ms / 1000).toFixed(2)}s: ${e.steps.executed} step(s) run, ${e.steps.cached} cached` : '';
            return output.err(`${c.green('Built')} ${e.tag} ${e.id.slice(0, 19)}${steps}`);
          }
          default: {
            const never: never = e;
            return never;
          }
        }
      }).catch((err: unknown) => {
        throw interrupt.signal.aborted ? new InterruptedError(`${building}: build interrupted; nothing of it was kept`) : err;
      });
      if (toBuild.length === 0) output.err('nothing to build: no selected service has a build: section');
    });
}

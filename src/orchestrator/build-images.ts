/**
 * `stack build` as a function of a stack and a runtime: the services' images built in an order
 * where each comes after the images its build takes as contexts, on the embedded runtime (its
 * builder, which says how many steps the cache served) or a Docker engine (its build API), told
 * as one kind of event either way, so the CLI only renders.
 */
import type { BuildSpec, RuntimeName, Service, Stack } from '../config/model.js';
import { buildRequest } from '../executor/build-request.js';
import { contextServices } from '../planner/build-support.js';
import { Label } from '../runtime/runtime.js';

/** What building the images tells, in order: per service a start, its steps and their output, warnings, and a done. */
export type ImageBuildEvent =
  | { kind: 'service-start'; service: string; tag: string; runtime: RuntimeName }
  | { kind: 'step-start'; index: number; place: string; text: string; cached: boolean }
  | { kind: 'output'; line: string }
  | { kind: 'warning'; message: string }
  | { kind: 'service-done'; service: string; tag: string; id: string; ms: number; steps?: { executed: number; cached: number } };

/** What every build of one `stack build` shares. */
export interface BuildImagesOptions {
  runtime: RuntimeName;
  /** `--build-arg` values, over the file's. */
  args: Record<string, string>;
  /** `--no-cache`. */
  noCache: boolean;
  /** Stops the build in progress (a base image being pulled included), keeping nothing of it. */
  signal?: AbortSignal;
}

/** The services in an order where each comes after the services its build takes as contexts (`service:NAME`). */
export function orderBuilds<S extends { name: string; build?: BuildSpec }>(services: readonly S[]): S[] {
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

/** Builds the images of `services` (each must have `build:`), in order, on the runtime asked for. */
export async function buildImages(stack: Stack, services: readonly Service[], opts: BuildImagesOptions, onEvent: (e: ImageBuildEvent) => void): Promise<void> {
  const request = (service: Service, tag: string) =>
    buildRequest(stack, service.build!, tag, { args: opts.args, noCache: service.build!.no_cache || opts.noCache, labels: { [Label.project]: stack.name } });
  const tagOf = (service: Service) => service.image ?? `${stack.name}-${service.name}`;
  // issue 19: on a remote host (HAFEN_HOST) the embedded runtime there builds, from the context sent to it.
  const remote = opts.runtime === 'embedded' && Boolean(process.env.HAFEN_HOST);
  if (opts.runtime === 'docker' || remote) {
    // The engine builds: the same context and Dockerfile, its own cache.
    const { openProjectRuntime } = await import('./project-runtime.js');
    const opened = await openProjectRuntime(stack.name, { runtime: remote ? 'embedded' : 'docker', supervise: false, stack });
    try {
      for (const service of services) {
        const tag = tagOf(service);
        const started = performance.now();
        onEvent({ kind: 'service-start', service: service.name, tag, runtime: remote ? 'embedded' : 'docker' });
        const info = await opened.runtime.buildImage(
          request(service, tag),
          (e) => {
            if (e.kind === 'step-start') onEvent({ kind: 'step-start', index: e.index, place: `[${e.index}/${e.total}]`, text: e.text, cached: e.cached });
            else if (e.kind === 'output') onEvent(e);
          },
          opts.signal,
        );
        onEvent({ kind: 'service-done', service: service.name, tag, id: info.id, ms: performance.now() - started });
      }
    } finally {
      await opened.close();
    }
    return;
  }
  // The embedded builder in this process (no supervisor needed): it reports what the cache served.
  // A user without root: the build runs again inside the user's namespaces (issue 17).
  const { needsUserNamespace, rerunInUserNamespace } = await import('../runtime/embedded/rootless/enter-namespace.js');
  if (needsUserNamespace()) await rerunInUserNamespace((line) => process.stderr.write(`${line}\n`), { network: true }); // RUN steps may fetch
  const { EmbeddedRuntime } = await import('../runtime/embedded/embedded-runtime.js');
  const runtime = new EmbeddedRuntime();
  try {
    for (const service of services) {
      const tag = tagOf(service);
      const started = performance.now();
      onEvent({ kind: 'service-start', service: service.name, tag, runtime: 'embedded' });
      const result = await runtime.build(
        request(service, tag),
        (e) => {
          if (e.kind === 'step-start') {
            const place = 'stage' in e ? `[${e.stage} ${e.stageStep}/${e.stageSteps}]` : `[${e.index}/${e.total}]`;
            onEvent({ kind: 'step-start', index: e.index, place, text: e.text, cached: e.cached });
          } else if (e.kind === 'output') {
            onEvent({ kind: 'output', line: e.line });
          }
        },
        opts.signal,
      );
      for (const w of result.warnings) onEvent({ kind: 'warning', message: typeof w === 'string' ? w : w.message });
      onEvent({
        kind: 'service-done',
        service: service.name,
        tag,
        id: result.image.manifest.config.digest,
        ms: performance.now() - started,
        steps: { executed: result.executedSteps, cached: result.cachedSteps },
      });
    }
  } finally {
    await runtime.close();
  }
}

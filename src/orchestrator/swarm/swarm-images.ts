/**
 * The images of a swarm deploy that exist only here (issue 18): those a service builds (`build:`)
 * and those it imports (`image: docker-archive:…` / `oci:…`). Each is made in hafen's own image
 * store (the embedded builder, as `stack build` does; the archive imported as the embedded runtime
 * imports it), then brought to every node one of two ways:
 *
 * - a registry (the service's `image:` names one, or `x-hafen-registry` / `--registry`): pushed
 *   there and deployed by digest (`repo:tag@sha256:…`), so every node pulls exactly that image;
 * - else each node's engine named under `ships:`: loaded as a `docker save` archive where its image
 *   ID is missing, and deployed by that ID (a swarm node never pulls an ID).
 *
 * Which service goes which way is settled first (`imageRoutes`, pure), so nothing is built for a
 * stack that could not be deployed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Stack } from '../../config/model.js';
import { ReadinessError, UsageError } from '../../errors.js';
import type { EventInput } from '../../executor/events.js';
import { imageSource } from '../../planner/resources.js';
import { swarmImageRoute } from '../../planner/swarm-support.js';
import { pushTargets } from '../push-targets.js';

/** How one service's image, made here, reaches the nodes. */
export interface ImageRoute {
  service: string;
  /** Its name in hafen's image store (`shop-web`, `docker-archive:/abs/app.tar`). */
  local: string;
  kind: 'build' | 'import';
  via: 'registry' | 'ships';
}

/** The route of each selected service whose image is made here; a UsageError when one has neither a registry nor ships. */
export function imageRoutes(stack: Stack, selected: readonly string[]): ImageRoute[] {
  const routes: ImageRoute[] = [];
  for (const name of selected) {
    const service = stack.services[name]!;
    const via = swarmImageRoute(service, stack);
    if (via === 'pull') continue;
    const source = imageSource(stack, service);
    const kind = source.kind === 'build' ? 'build' : 'import';
    // The support rules refuse this at load (exit 2); said again for callers that skip them.
    if (via === undefined) throw new UsageError(`services.${name}: its image is ${kind === 'build' ? 'built' : 'imported'} here and no swarm node has it: name a registry (x-hafen-registry or --registry) to push it to, or each node's engine under ships: to load it into`);
    routes.push({ service: name, local: source.ref, kind, via });
  }
  return routes;
}

/** What preparing the images needs. */
export interface SwarmImagesOptions {
  /** The manager's engine (to name nodes no ship covers). */
  manager: Docker;
  /** `up --build`: build even when the store has the image. */
  build?: boolean;
  /** `up --no-build`: a missing built image is a UsageError. */
  noBuild?: boolean;
  signal?: AbortSignal;
  emit: (e: EventInput) => void;
  /** A line for the user (a node no ship names). */
  say?: (line: string) => void;
}

/** Builds, imports, pushes or loads the local images of `selected`; resolves to service → the image its Swarm service names. */
export async function prepareSwarmImages(stack: Stack, selected: readonly string[], opts: SwarmImagesOptions): Promise<Record<string, string>> {
  const routes = imageRoutes(stack, selected);
  if (routes.length === 0) return {};
  const [{ EmbeddedImageService }, { buildImages, orderBuilds }, { EmbeddedRuntime }] = await Promise.all([
    import('../../runtime/embedded/embedded-image-service.js'),
    import('../build-images.js'),
    import('../../runtime/embedded/embedded-runtime.js'),
  ]);
  const images = new EmbeddedImageService();
  let id = 10_000; // op ids of their own, apart from swarm-up's counter
  const op = async (operation: 'build-image' | 'import-image', local: string, services: string[], fn: (progress: (text: string) => void) => Promise<void>) => {
    const opId = ++id;
    const fields = { id: opId, operation, resource: `image:${local}`, service: services[0]!, name: services.join(', ') } as const;
    opts.emit({ kind: 'op-start', ...fields });
    const t0 = performance.now();
    try {
      await fn((text) => opts.emit({ kind: 'op-progress', ...fields, text }));
    } catch (err) {
      opts.emit({ kind: 'op-failed', ...fields, ms: performance.now() - t0, error: { code: (err as { code?: string }).code ?? 'E_UNEXPECTED', message: (err as Error).message } });
      throw err;
    }
    opts.emit({ kind: 'op-done', ...fields, ms: performance.now() - t0 });
  };

  // 1. Into the store: builds (in the order their contexts need) and imports.
  const builds = orderBuilds(routes.filter((r) => r.kind === 'build').map((r) => stack.services[r.service]!));
  const localOf = (service: string) => routes.find((r) => r.service === service)!.local;
  const toBuild = opts.build ? builds : await asyncFilter(builds, async (s) => (await images.inspect(localOf(s.name))) === undefined);
  if (opts.noBuild && toBuild.length > 0) throw new UsageError(`services.${toBuild[0]!.name}: --no-build, and hafen's image store has no ${localOf(toBuild[0]!.name)}; build it (\`stack build\`) or leave --no-build out`);
  for (const service of toBuild) {
    await op('build-image', localOf(service.name), [service.name], (progress) =>
      buildImages(stack, [service], { runtime: 'embedded', args: {}, noCache: false, ...(opts.signal ? { signal: opts.signal } : {}) }, (e) => {
        if (e.kind === 'step-start') progress(`${e.place} ${e.text}${e.cached ? ' CACHED' : ''}`);
        else if (e.kind === 'warning') progress(`warning: ${e.message}`);
      }),
    );
  }
  const imports = [...new Set(routes.filter((r) => r.kind === 'import').map((r) => r.local))];
  if (imports.length > 0) {
    const runtime = new EmbeddedRuntime();
    try {
      for (const local of imports) {
        await op('import-image', local, routes.filter((r) => r.local === local).map((r) => r.service), (progress) => runtime.pullImage(local, progress, opts.signal));
      }
    } finally {
      await runtime.close();
    }
  }

  // 2. To the nodes: pushed (deployed by digest), or loaded through the ships (deployed by image ID).
  const refs: Record<string, string> = {};
  const pushed = routes.filter((r) => r.via === 'registry').map((r) => r.service);
  if (pushed.length > 0) {
    for (const target of pushTargets(stack, pushed).targets) {
      await op('import-image', target.local, target.services, async (progress) => {
        const done = await images.push(target.local, target.target, { ...(opts.signal ? { signal: opts.signal } : {}), onLayer: (l) => progress(`${l.id.replace(/^sha256:/, '').slice(0, 12)}: ${l.outcome}${l.from ? ` from ${l.from}` : ''}`) });
        progress(`pushed ${done.reference}@${done.digest}`);
        for (const s of target.services) refs[s] = `${done.reference}@${done.digest}`;
      });
    }
  }
  const loaded = routes.filter((r) => r.via === 'ships');
  if (loaded.length > 0) {
    const { deliverImage, nodesWithoutShip, shipEngines } = await import('../../runtime/swarm/node-images.js');
    const engines = shipEngines(stack);
    const uncovered = await nodesWithoutShip(opts.manager, engines);
    if (uncovered.length > 0) opts.say?.(`warning: swarm node(s) ${uncovered.join(', ')} have no ships: entry; a task of ${loaded.map((r) => r.service).join(', ')} placed there finds no image (give their engines under ships:, or a registry)`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-swarm-images-'));
    try {
      for (const local of [...new Set(loaded.map((r) => r.local))]) {
        const services = loaded.filter((r) => r.local === local).map((r) => r.service);
        const imageId = (await images.inspect(local))?.id;
        if (!imageId) throw new UsageError(`services.${services[0]}: image ${local} is not in hafen's image store`);
        await op('import-image', local, services, (progress) =>
          deliverImage(engines, imageId, { file: path.join(dir, 'image.tar'), save: (file) => images.save(local, file, 'docker-archive') }, (n) => progress(`${n.ship}: ${n.outcome === 'present' ? `has ${imageId.slice(0, 19)}` : `loaded ${imageId.slice(0, 19)}`}`)),
        );
        fs.rmSync(path.join(dir, 'image.tar'), { force: true });
        for (const s of services) refs[s] = imageId;
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return refs;
}

async function asyncFilter<T>(items: readonly T[], keep: (item: T) => Promise<boolean>): Promise<T[]> {
  const kept = await Promise.all(items.map(keep));
  return items.filter((_, i) => kept[i]);
}

/**
 * A service that did not converge because a node had no image (`No such image`), with why that
 * happens to an image hafen brought: the node could not pull it from the registry (unreachable from
 * there, or not trusted: an http registry must be in its engine's insecure-registries), or, loaded
 * through `ships:`, the node is not one of the ships. Other errors are returned as they are.
 */
export function explainMissingImage(err: unknown, image: string | undefined): unknown {
  if (!(err instanceof ReadinessError) || image === undefined || !err.reason.includes('No such image')) return err;
  const why = image.startsWith('sha256:')
    ? `the image was loaded only into the engines under ships:; a node without a ships: entry has none`
    : `the node could not pull ${image}: can its engine reach the registry ${image.slice(0, image.indexOf('/'))} (and trust it: an http registry must be in its insecure-registries)?`;
  return new ReadinessError(err.service, err.check, `${err.reason}; ${why}`, [...err.logTail]);
}

/** The image part of an up plan: each distinct image built, pulled or imported once, if it has to be. */
import type { Stack } from '../config/model.js';
import { UsageError } from '../errors.js';
import { contextServices } from './build-support.js';
import { assertNever } from './plan.js';
import type { PlanBuilder } from './plan-builder.js';
import { imageSource, resource } from './resources.js';

/**
 * Adds the image nodes the given services need (in their order) and returns, per image reference,
 * the node that makes it, or undefined when there is nothing to do (present, `host`, `scratch`,
 * `pull_policy: never`). `build` rebuilds present images (`up --build`); `noBuild` builds nothing
 * and refuses a missing one (`up --no-build`).
 */
export function planImages(
  b: PlanBuilder,
  stack: Stack,
  services: readonly string[],
  present: readonly string[],
  build: boolean,
  noBuild = false,
): Map<string, number | undefined> {
  const have = new Set(present);
  const ids = new Map<string, number | undefined>();
  const visit = (name: string): number | undefined => {
    const service = stack.services[name]!;
    const source = imageSource(stack, service);
    const image = source.ref;
    if (ids.has(image)) return ids.get(image);
    ids.set(image, undefined); // a cycle of `service:` contexts ends here; the build then fails naming the missing image
    const missing = !have.has(image);
    const always = service.pull_policy === 'always';
    let id: number | undefined;
    switch (source.kind) {
      case 'builtin':
        break;
      case 'build': {
        // Images of other services this build takes as contexts (`service:NAME`) are made first.
        if (noBuild) {
          if (missing) throw new UsageError(`--no-build: the image ${image} of service ${name} is not built; run \`stack build ${name}\` first, or leave out --no-build`);
          break;
        }
        const before = contextServices(service.build!).filter((dep) => stack.services[dep] !== undefined).map(visit);
        if (missing || build || service.pull_policy === 'build') {
          id = b.add('build-image', resource.image(image), { image, service: name, build: service.build! }, before);
        }
        break;
      }
      case 'pull':
        if (always || (missing && service.pull_policy !== 'never')) {
          id = b.add('pull-image', resource.image(image), { image, service: name, policy: service.pull_policy });
        }
        break;
      case 'import':
        if (always || missing) {
          id = b.add('import-image', resource.image(image), { image, format: source.format, path: source.path });
        }
        break;
      default:
        assertNever(source);
    }
    ids.set(image, id);
    return id;
  };
  for (const name of services) visit(name);
  return ids;
}

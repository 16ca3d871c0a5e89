/**
 * Where `stack push` sends each service's image. Pure: the service's `image:` when it names a
 * registry (`host[:port]/repo[:tag]`); else the registry of `--registry` or the file's
 * `x-hafen-registry` put before the image's name (a built image without `image:` is named
 * `PROJECT-SERVICE`, as Compose names it; an imported archive too). A service with neither is
 * refused, pointing at the service in the file; `host` and `scratch` have nothing to push.
 */
import { ConfigError, UsageError, type ConfigIssue } from '../errors.js';
import type { Service, Stack } from '../config/model.js';
import { imageSource } from '../planner/resources.js';
import { formatReference, parseReference } from '../runtime/embedded/registry/reference.js';

/** One image to push: the services it is for, its name in the runtime, and the reference it goes to. */
export interface PushTarget {
  services: string[];
  /** As the runtime knows it (`shop-web`, `docker-archive:/abs/app.tar`, `busybox:1.36`). */
  local: string;
  /** In full: `127.0.0.1:5000/shop-web:latest`. */
  target: string;
}

/** Targets (one per distinct image and reference, in service order) and services with nothing to push. */
export interface PushPlan {
  targets: PushTarget[];
  skipped: { service: string; why: string }[];
}

/** Whether an image name's first component is a registry host (has a `.` or `:`, or is `localhost`). */
export function namesRegistry(image: string): boolean {
  const slash = image.indexOf('/');
  if (slash < 0) return false;
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

/**
 * Checks a registry given to push to (`HOST[:PORT]`, optionally with a path: `ghcr.io/team`);
 * returns it without a trailing slash or scheme, or a reason it is not one.
 */
export function checkRegistry(value: string): { registry: string } | { problem: string } {
  const registry = value.replace(/\/+$/, '');
  if (/^[a-z]+:\/\//i.test(registry)) return { problem: `${JSON.stringify(value)}: give HOST[:PORT] without a scheme (http:// is used only for loopback and HAFEN_INSECURE_REGISTRIES)` };
  if (!namesRegistry(`${registry}/x`)) return { problem: `${JSON.stringify(value)} is not a registry HOST[:PORT] (a host with a dot or a port, or localhost)` };
  try {
    parseReference(`${registry}/x`);
  } catch (err) {
    return { problem: `${JSON.stringify(value)} is not a registry HOST[:PORT]: ${(err as Error).message.replace(/^invalid image reference "[^"]*": /, '')}` };
  }
  return { registry };
}

/** The name an image has under a registry prefix: its own name (tag kept, digest dropped), or PROJECT-SERVICE. */
function nameUnder(stack: Stack, service: Service): string {
  const source = imageSource(stack, service);
  if (source.kind === 'import' || !service.image) return `${stack.name}-${service.name}`;
  const ref = parseReference(service.image);
  const path = ref.domain === 'docker.io' && ref.path.startsWith('library/') ? ref.path.slice('library/'.length) : ref.path;
  return `${path}:${ref.tag ?? 'latest'}`;
}

/**
 * The push plan for `services` (already selected). `registry` is `--registry` (checked: a bad value
 * is a UsageError); the file's `x-hafen-registry` is used when it is absent.
 */
export function pushTargets(stack: Stack, services: readonly string[], registry?: string): PushPlan {
  let prefix: string | undefined;
  if (registry !== undefined) {
    const checked = checkRegistry(registry);
    if ('problem' in checked) throw new UsageError(`stack push --registry ${checked.problem}`);
    prefix = checked.registry;
  } else if (stack.registry !== undefined) {
    const checked = checkRegistry(stack.registry);
    if ('problem' in checked) throw new ConfigError([{ location: stack.source.locate('x-hafen-registry'), message: checked.problem }]);
    prefix = checked.registry;
  }
  const plan: PushPlan = { targets: [], skipped: [] };
  const issues: ConfigIssue[] = [];
  for (const name of services) {
    const service = stack.services[name]!;
    const source = imageSource(stack, service);
    if (source.kind === 'builtin') {
      plan.skipped.push({ service: name, why: `image ${source.ref} is built in, there is nothing to push` });
      continue;
    }
    let target: string;
    if (source.kind !== 'import' && service.image && namesRegistry(service.image)) {
      // A digest is what the registry answers with, not something to push to: the tag (or latest) is.
      const { digest: _digest, ...ref } = parseReference(service.image);
      target = formatReference({ ...ref, tag: ref.tag ?? 'latest' });
    } else if (prefix !== undefined) {
      target = formatReference(parseReference(`${prefix}/${nameUnder(stack, service)}`));
    } else {
      const what = source.kind === 'import' ? `its image is imported from ${source.path}` : service.image ? `image ${service.image} names no registry` : 'its built image has no image: name';
      issues.push({
        location: stack.source.locate(`services.${name}`),
        message: `nothing to push to: ${what}; name one in image: (HOST[:PORT]/REPO[:TAG]), or give \`stack push --registry HOST[:PORT]\` or the top-level key x-hafen-registry`,
      });
      continue;
    }
    const same = plan.targets.find((t) => t.local === source.ref && t.target === target);
    if (same) same.services.push(name);
    else plan.targets.push({ services: [name], local: source.ref, target });
  }
  if (issues.length) throw new ConfigError(issues);
  return plan;
}

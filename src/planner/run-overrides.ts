/**
 * What Compose's `up --scale SERVICE=N` and `--pull POLICY` change for one run: the stack as the
 * file says, with those services' replica counts and every service's pull policy replaced. Pure;
 * the file and later commands are not affected.
 */
import type { PullPolicy, Stack } from '../config/model.js';
import { UsageError } from '../errors.js';

/** The pull policies `--pull` takes, as Compose names them. */
export const PULL_OVERRIDES = ['always', 'missing', 'never'] as const;
export type PullOverride = (typeof PULL_OVERRIDES)[number] & PullPolicy;

/** `--scale` and `--pull` of one `up`. */
export interface RunOverrides {
  /** Replicas by service name. */
  scale?: Readonly<Record<string, number>>;
  pull?: PullOverride;
}

/** Refuses a `--scale` of a service the file does not have, or of one with a fixed container name. */
export function assertRunOverrides(stack: Stack, overrides: RunOverrides): void {
  for (const [name, n] of Object.entries(overrides.scale ?? {})) {
    const service = stack.services[name];
    if (!service) throw new UsageError(`--scale ${name}=${n}: no such service in ${stack.files.join(', ') || stack.file}`);
    if (n > 1 && service.container_name !== undefined) {
      throw new UsageError(`--scale ${name}=${n}: ${name} has a fixed container_name (${service.container_name}), so it runs one container; remove container_name to scale it`);
    }
  }
}

/** The stack with `overrides` applied (the same object when there are none). */
export function withRunOverrides(stack: Stack, overrides: RunOverrides): Stack {
  const scale = overrides.scale ?? {};
  if (Object.keys(scale).length === 0 && overrides.pull === undefined) return stack;
  const services = Object.fromEntries(
    Object.entries(stack.services).map(([name, service]) => [
      name,
      {
        ...service,
        ...(scale[name] !== undefined ? { replicas: scale[name] } : {}),
        ...(overrides.pull !== undefined ? { pull_policy: overrides.pull } : {}),
      },
    ]),
  );
  return { ...stack, services };
}

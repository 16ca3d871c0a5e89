/**
 * Keys a runtime cannot honour. `config` accepts every key Compose defines; `up` (and every command
 * that creates containers) refuses, before anything is touched, a service that uses one its
 * runtime cannot give, naming the service, the key and what to do. Pure: a table of rules.
 */
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { RuntimeName, Service, Stack } from '../config/model.js';
import { BUILD_RULES } from './build-support.js';
import { PROCESS_SUPPORT_RULES } from './process-support.js';
import { MOUNT_RULES } from './mount-support.js';
import { NETWORKING_RULES } from './networking-support.js';
import { FILES_AND_LOGGING_RULES } from './files-logging-support.js';
import { VALUES_RULES } from './values-support.js';
import { ENVIRONMENT_RULES } from './environment-support.js';
import { SWARM_RULES } from './swarm-support.js';

/** One rule: for one runtime, a key whose value (or whose mere presence) that runtime cannot honour. */
export interface SupportRule {
  runtime: RuntimeName;
  /** The key path under the service, as written (`ipc`, `deploy.resources.reservations.devices`). */
  key: string;
  /**
   * Why this service's value cannot be honoured, or undefined when it can (or the key is unset).
   * The sentence reads after "services.NAME.KEY: ", e.g. `"ipc: host" is not supported on the embedded runtime`.
   */
  refuse(service: Service, stack: Stack): string | undefined;
  /** What to do instead, e.g. `remove it, or use --runtime docker`. */
  todo: string;
}

/**
 * Every rule. Areas add their own rules here (one block per area, with a comment), so the whole
 * list of what each runtime cannot do reads in one place.
 */
export const SUPPORT_RULES: readonly SupportRule[] = [
  // build: what the embedded builder and the engine's classic builder cannot do (src/planner/build-support.ts).
  ...BUILD_RULES,
  // Process and confinement keys (ulimits, sysctls, ipc, pid, security_opt, cgroup tunings, …).
  ...PROCESS_SUPPORT_RULES,
  // Networking: network_mode conflicts, what the embedded runtime's bridges cannot give (networking-support.ts).
  ...NETWORKING_RULES,
  // Secrets, configs, logging, annotations, platform, OCI runtime, reservations, pull refresh (files-logging-support.ts).
  ...FILES_AND_LOGGING_RULES,
  // Values as Compose reads them: a Windows bind source on the embedded runtime (values-support.ts).
  ...VALUES_RULES,
  // Mount options: bind propagation other than rprivate on the embedded runtime (mount-support.ts).
  ...MOUNT_RULES,
  // Secrets: environment values beyond the kernel's execve limits, named without their value (environment-support.ts).
  ...ENVIRONMENT_RULES,
  // Issue 18, swarm: what a Swarm service has no place for (container_name, links, devices, privileged, …; swarm-support.ts).
  ...SWARM_RULES,
];

/** The refusals for `services` (default: all; `[]` is none) of the stack on `runtime`, located where each key is written. */
export function runtimeRefusals(stack: Stack, runtime: RuntimeName, services?: readonly string[], rules: readonly SupportRule[] = SUPPORT_RULES): ConfigIssue[] {
  const names = services ?? Object.keys(stack.services);
  const issues: ConfigIssue[] = [];
  for (const name of names) {
    const service = stack.services[name];
    if (!service) continue;
    for (const rule of rules) {
      if (rule.runtime !== runtime) continue;
      const why = rule.refuse(service, stack);
      if (why === undefined) continue;
      issues.push({ location: stack.source.locate(`services.${name}.${rule.key}`), message: `${why}; ${rule.todo}` });
    }
  }
  return issues;
}

/** Throws a ConfigError (exit 2, nothing touched) when a selected service uses a key the runtime cannot honour. */
export function assertRuntimeSupports(stack: Stack, runtime: RuntimeName, services?: readonly string[]): void {
  const issues = runtimeRefusals(stack, runtime, services);
  if (issues.length > 0) throw new ConfigError(issues);
}

/**
 * Issue 18: the `deploy:` keys only Docker Swarm honours (mode, service labels, endpoint_mode,
 * placement, restart_policy in full, update_config, rollback_config), in long form with durations
 * in milliseconds. The other runtimes take replicas, resources and restart_policy's condition from
 * `deploy:` elsewhere (service.ts); which runtime refuses what is the planner's table, not decided here.
 */
import type { Issues } from './issues.js';
import { ValueError } from './issues.js';
import { labelsOf } from './mappings.js';
import type { SwarmDeploy, SwarmRestartPolicy, UpdateConfig } from './model.js';
import type { RawService, RawUpdateConfig } from './raw.js';
import { formatDuration, parseDuration } from './units.js';

type RawDeploy = NonNullable<RawService['deploy']>;

/** The Swarm keys of `deploy:`; undefined when the service has no `deploy:` (or only replicas/resources). */
export function swarmDeployOf(name: string, raw: RawService, issues: Issues): SwarmDeploy | undefined {
  const d = raw.deploy;
  if (d === undefined || !SWARM_KEYS.some((k) => d[k] !== undefined)) return undefined;
  const base = `services.${name}.deploy`;
  const duration = (key: string, text: string | undefined): number | undefined =>
    text === undefined ? undefined : issues.check(`${base}.${key}`, () => parseDuration(text));
  const out: SwarmDeploy = {
    mode: d.mode ?? 'replicated',
    labels: labelsOf(d.labels, (at, m) => issues.value(`${base}.labels${at}`, m)),
    placement: {
      constraints: [...(d.placement?.constraints ?? [])],
      preferences: (d.placement?.preferences ?? []).map((p) => p.spread),
    },
  };
  if (d.placement?.max_replicas_per_node !== undefined) out.placement.max_replicas_per_node = d.placement.max_replicas_per_node;
  if (d.endpoint_mode !== undefined) out.endpoint_mode = d.endpoint_mode;
  if (d.restart_policy !== undefined) out.restart_policy = restartPolicyOf(d.restart_policy, (k, t) => duration(`restart_policy.${k}`, t));
  for (const key of ['update_config', 'rollback_config'] as const) {
    const given = d[key];
    if (given !== undefined) {
      const conf = updateConfigOf(given, (k, t) => duration(`${key}.${k}`, t), (k, fn) => issues.check(`${base}.${key}.${k}`, fn));
      out[key] = conf;
    }
  }
  return out;
}

/** `deploy:` keys that make a SwarmDeploy (replicas and resources live elsewhere in the model). */
const SWARM_KEYS = ['mode', 'labels', 'endpoint_mode', 'placement', 'restart_policy', 'update_config', 'rollback_config'] as const satisfies readonly (keyof RawDeploy)[];

function restartPolicyOf(raw: NonNullable<RawDeploy['restart_policy']>, duration: (key: string, text: string | undefined) => number | undefined): SwarmRestartPolicy {
  // Swarm's default condition is `any`, as docker stack deploy leaves it.
  const out: SwarmRestartPolicy = { condition: raw.condition ?? 'any' };
  const delay = duration('delay', raw.delay);
  if (delay !== undefined) out.delay = delay;
  if (raw.max_attempts !== undefined) out.max_attempts = raw.max_attempts;
  const window = duration('window', raw.window);
  if (window !== undefined) out.window = window;
  return out;
}

function updateConfigOf(
  raw: RawUpdateConfig,
  duration: (key: string, text: string | undefined) => number | undefined,
  check: <T>(key: string, fn: () => T) => T | undefined,
): UpdateConfig {
  // docker stack deploy's defaults: one task at a time, no delay, the engine's monitor period.
  const out: UpdateConfig = {
    parallelism: raw.parallelism ?? 1,
    delay: duration('delay', raw.delay) ?? 0,
    monitor: duration('monitor', raw.monitor) ?? 0,
    max_failure_ratio: raw.max_failure_ratio === undefined ? 0 : (check('max_failure_ratio', () => ratioOf(raw.max_failure_ratio!)) ?? 0),
  };
  if (raw.failure_action !== undefined) out.failure_action = raw.failure_action;
  if (raw.order !== undefined) out.order = raw.order;
  return out;
}

function ratioOf(value: number | string): number {
  const n = typeof value === 'number' ? value : Number(value.trim());
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new ValueError(`expected a fraction from 0 to 1 (0.2 is one task in five), got ${JSON.stringify(value)}`);
  return n;
}

/** The SwarmDeploy written back as `deploy:` keys (`stack config`), loading to the same model. */
export function serializeSwarmDeploy(d: SwarmDeploy | undefined): Record<string, unknown> {
  if (d === undefined) return {};
  const update = (u: UpdateConfig | undefined) =>
    u && dropUndefined({ parallelism: u.parallelism, delay: formatDuration(u.delay), failure_action: u.failure_action, monitor: formatDuration(u.monitor), max_failure_ratio: u.max_failure_ratio, order: u.order });
  const r = d.restart_policy;
  return dropUndefined({
    mode: d.mode,
    labels: Object.keys(d.labels).length > 0 ? d.labels : undefined,
    endpoint_mode: d.endpoint_mode,
    placement: emptyToUndefined(
      dropUndefined({
        constraints: d.placement.constraints.length > 0 ? d.placement.constraints : undefined,
        preferences: d.placement.preferences.length > 0 ? d.placement.preferences.map((spread) => ({ spread })) : undefined,
        max_replicas_per_node: d.placement.max_replicas_per_node,
      }),
    ),
    restart_policy: r && dropUndefined({ condition: r.condition, delay: r.delay === undefined ? undefined : formatDuration(r.delay), max_attempts: r.max_attempts, window: r.window === undefined ? undefined : formatDuration(r.window) }),
    update_config: update(d.update_config),
    rollback_config: update(d.rollback_config),
  });
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function emptyToUndefined(o: Record<string, unknown>): Record<string, unknown> | undefined {
  return Object.keys(o).length > 0 ? o : undefined;
}

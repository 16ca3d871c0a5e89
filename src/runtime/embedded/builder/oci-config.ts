/**
 * The image config both ways: the Dockerfile model's (build/stage-model.ts) and the OCI/Docker
 * JSON (store/oci-types.ts), and how each metadata instruction changes it, step by step, so the
 * build cache can hold the config after every step.
 */
import { addEnv, cloneConfig } from '../build/image-config.js';
import type { ConfigStep, ImageConfig as ModelConfig } from '../build/index.js';
import type { ContainerConfig } from '../store/index.js';

/** The model form of an image's runtime config (what resolveStages starts a stage from). */
export function fromContainerConfig(c: ContainerConfig, author?: string): Partial<ModelConfig> {
  const h = c.Healthcheck;
  return {
    env: [...(c.Env ?? [])],
    workingDir: c.WorkingDir ?? '',
    user: c.User ?? '',
    ...(c.Cmd ? { cmd: [...c.Cmd] } : {}),
    ...(c.Entrypoint ? { entrypoint: [...c.Entrypoint] } : {}),
    exposedPorts: Object.keys(c.ExposedPorts ?? {}),
    volumes: Object.keys(c.Volumes ?? {}),
    labels: { ...(c.Labels ?? {}) },
    ...(c.StopSignal ? { stopSignal: c.StopSignal } : {}),
    ...(h?.Test
      ? {
          healthcheck: {
            test: [...h.Test],
            intervalNs: h.Interval ?? 0,
            timeoutNs: h.Timeout ?? 0,
            startPeriodNs: h.StartPeriod ?? 0,
            startIntervalNs: h.StartInterval ?? 0,
            retries: h.Retries ?? 0,
          },
        }
      : {}),
    ...(c.Shell ? { shell: [...c.Shell] } : {}),
    // Carried so that a build FROM an image with ONBUILD triggers is refused, not built without them.
    ...(c.OnBuild?.length ? { onBuild: [...c.OnBuild] } : {}),
    ...(author !== undefined ? { author } : {}),
  };
}

/** The OCI `config` object for a model config; empty fields are left out, as Docker writes them. */
export function toContainerConfig(m: ModelConfig): ContainerConfig {
  const set = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, {}]));
  const h = m.healthcheck;
  return {
    ...(m.user ? { User: m.user } : {}),
    ...(m.exposedPorts.length ? { ExposedPorts: set(m.exposedPorts) } : {}),
    ...(m.env.length ? { Env: [...m.env] } : {}),
    ...(m.entrypoint ? { Entrypoint: [...m.entrypoint] } : {}),
    ...(m.cmd ? { Cmd: [...m.cmd] } : {}),
    ...(m.volumes.length ? { Volumes: set(m.volumes) } : {}),
    ...(m.workingDir ? { WorkingDir: m.workingDir } : {}),
    ...(Object.keys(m.labels).length ? { Labels: { ...m.labels } } : {}),
    ...(m.stopSignal ? { StopSignal: m.stopSignal } : {}),
    ...(h
      ? {
          Healthcheck: {
            Test: [...h.test],
            ...(h.intervalNs ? { Interval: h.intervalNs } : {}),
            ...(h.timeoutNs ? { Timeout: h.timeoutNs } : {}),
            ...(h.startPeriodNs ? { StartPeriod: h.startPeriodNs } : {}),
            ...(h.startIntervalNs ? { StartInterval: h.startIntervalNs } : {}),
            ...(h.retries ? { Retries: h.retries } : {}),
          },
        }
      : {}),
    ...(m.shell ? { Shell: [...m.shell] } : {}),
  };
}

/** A stage's config while its steps run; `cmdSet` says whether this stage set CMD (ENTRYPOINT then keeps it). */
export interface ConfigState {
  config: ModelConfig;
  cmdSet: boolean;
}

/** The config as it starts a stage: a copy of the base's, PATH defaulted (resolveStages does the same). */
export function startConfig(base: Partial<ModelConfig>, defaultPath: string): ConfigState {
  const config = cloneConfig(base);
  if (!config.env.some((e) => e.startsWith('PATH='))) config.env.push(`PATH=${defaultPath}`);
  return { config, cmdSet: false };
}

/** Applies one metadata instruction, as resolveStages applied it. WORKDIR and ARG leave the config alone here (WORKDIR is set by the caller). */
export function applyConfigStep(state: ConfigState, step: ConfigStep): void {
  const c = state.config;
  switch (step.kind) {
    case 'env':
      for (const [k, v] of step.pairs) addEnv(c.env, k, v);
      return;
    case 'arg':
      return;
    case 'workdir':
      c.workingDir = step.path;
      return;
    case 'user':
      c.user = step.user;
      return;
    case 'expose':
      c.exposedPorts = [...new Set([...c.exposedPorts, ...step.ports])].sort();
      return;
    case 'cmd':
      c.cmd = [...step.cmd];
      state.cmdSet = true;
      return;
    case 'entrypoint':
      if (step.entrypoint) c.entrypoint = [...step.entrypoint];
      else delete c.entrypoint;
      if (!state.cmdSet) delete c.cmd;
      return;
    case 'label':
      for (const [k, v] of step.labels) c.labels[k] = v;
      return;
    case 'healthcheck':
      c.healthcheck = { ...step.healthcheck, test: [...step.healthcheck.test] };
      return;
    case 'stopsignal':
      c.stopSignal = step.signal;
      return;
    case 'shell':
      c.shell = [...step.shell];
      return;
    case 'volume':
      c.volumes = [...new Set([...c.volumes, ...step.paths])].sort();
      return;
    case 'maintainer':
      c.author = step.maintainer;
      return;
    default: {
      const never: never = step;
      throw new Error(`unhandled step ${JSON.stringify(never)}`);
    }
  }
}

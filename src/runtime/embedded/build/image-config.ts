/** Small helpers over ImageConfig (stage-model.ts): copies and `KEY=value` env lists as Docker edits them. */
import type { ImageConfig } from './stage-model.js';

/** A config with nothing set. */
export function emptyConfig(): ImageConfig {
  return { env: [], workingDir: '', user: '', exposedPorts: [], volumes: [], labels: {} };
}

/** A deep copy with every field present; a partial config (from a base image) gets the defaults. */
export function cloneConfig(c: Partial<ImageConfig>): ImageConfig {
  return {
    env: [...(c.env ?? [])],
    workingDir: c.workingDir ?? '',
    user: c.user ?? '',
    ...(c.cmd ? { cmd: [...c.cmd] } : {}),
    ...(c.entrypoint ? { entrypoint: [...c.entrypoint] } : {}),
    exposedPorts: [...(c.exposedPorts ?? [])].sort(),
    volumes: [...(c.volumes ?? [])].sort(),
    labels: { ...(c.labels ?? {}) },
    ...(c.stopSignal !== undefined ? { stopSignal: c.stopSignal } : {}),
    ...(c.healthcheck ? { healthcheck: { ...c.healthcheck, test: [...c.healthcheck.test] } } : {}),
    ...(c.shell ? { shell: [...c.shell] } : {}),
    ...(c.onBuild ? { onBuild: [...c.onBuild] } : {}),
    ...(c.author !== undefined ? { author: c.author } : {}),
  };
}

/** `KEY=value` split at the first `=`. */
export function splitEnv(entry: string): [string, string] {
  const eq = entry.indexOf('=');
  return eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
}

/** Sets KEY in a `KEY=value` list, in place if present (as Docker does), else at the end. */
export function addEnv(env: string[], key: string, value: string): void {
  const i = env.findIndex((e) => splitEnv(e)[0] === key);
  if (i >= 0) env[i] = `${key}=${value}`;
  else env.push(`${key}=${value}`);
}

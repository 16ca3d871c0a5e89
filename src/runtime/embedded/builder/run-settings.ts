/**
 * What a build sets for all its RUN steps (Compose's build.network, build.extra_hosts,
 * build.secrets), and the files a step gets from it: its /etc/hosts, and each secret it mounts
 * (`RUN --mount=type=secret`), written for this step only into its private folder, bound
 * read-only, and gone with the step. A secret's value is never in a layer, the image config, the
 * cache key (which holds the mount's id and target only, as in BuildKit), a command line or a message.
 */
import fs from 'node:fs';
import type { RunStep } from '../build/index.js';
import type { BuildSecretSource } from '../../runtime.js';

/** RUN settings of one build. */
export interface RunSettings {
  /** Network of RUN steps without --network (or with --network=default); default `host`, the build default. */
  network?: 'host' | 'none';
  /** Extra /etc/hosts entries: host → address (`host-gateway` is the host itself, 127.0.0.1, on the host's network). */
  extraHosts?: Record<string, string>;
  /** Secrets the steps may mount, by id. */
  secrets?: BuildSecretSource[];
}

/** The /etc/hosts of a RUN step. */
export function hostsFileText(hostname: string, extraHosts: Record<string, string> = {}): string {
  const extra = Object.entries(extraHosts).map(([host, ip]) => `${ip === 'host-gateway' ? '127.0.0.1' : ip}\t${host}\n`);
  return `127.0.0.1\tlocalhost ${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n${extra.join('')}`;
}

/** The network a step runs on: its own --network, else the build's, else the host's. */
export function stepNetwork(step: RunStep, settings: RunSettings = {}): 'host' | 'none' {
  if (step.network === 'host' || step.network === 'none') return step.network;
  return settings.network ?? 'host';
}

/**
 * Binds for the step's secret mounts, their files written into `dir` (a folder only root can
 * enter, removed with the step). A mount whose secret the build was not given is left out, or
 * fails the step when `required`. SSH mounts: hafen builds have no agent forwarding.
 */
export function secretBinds(step: RunStep, settings: RunSettings, dir: string): { source: string; target: string; readOnly: boolean }[] {
  const binds: { source: string; target: string; readOnly: boolean }[] = [];
  (step.mounts ?? []).forEach((mount, i) => {
    if (mount.type === 'ssh') {
      if (mount.required) throw new Error(`RUN --mount=type=ssh,id=${mount.id}: SSH forwarding is not supported by hafen builds; fetch what needs SSH before the build, into the build context`);
      return; // BuildKit, too, leaves out an ssh mount the build was not given unless it is required
    }
    const secret = settings.secrets?.find((s) => s.id === mount.id);
    if (!secret) {
      if (mount.required) throw new Error(`the secret "${mount.id}" is required by RUN --mount but was not given to the build (add it to the service's build.secrets)`);
      return;
    }
    const file = `${dir}/secret-${i}`;
    fs.writeFileSync(file, readSecret(secret), { mode: 0o600 });
    fs.chownSync(file, mount.uid ?? secret.uid ?? 0, mount.gid ?? secret.gid ?? 0);
    fs.chmodSync(file, mount.mode ?? secret.mode ?? 0o400);
    binds.push({ source: file, target: mount.target, readOnly: true });
  });
  return binds;
}

/** A secret's value, from its file or the variable; the message of a failure names where it looked, never a value. */
function readSecret(secret: BuildSecretSource): Buffer {
  if (secret.file !== undefined) {
    try {
      return fs.readFileSync(secret.file);
    } catch (err) {
      throw new Error(`the secret "${secret.id}" cannot be read from ${secret.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const value = secret.env !== undefined ? process.env[secret.env] : undefined;
  if (value === undefined) throw new Error(`the secret "${secret.id}" comes from the environment variable ${secret.env ?? '?'}, which is not set`);
  return Buffer.from(value);
}

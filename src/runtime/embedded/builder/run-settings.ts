/**
 * What a build sets for all its RUN steps (Compose's build.network, build.extra_hosts,
 * build.secrets), and the files a step gets from it: its /etc/hosts, and each secret it mounts
 * (`RUN --mount=type=secret`), written for this step only into its private folder, bound
 * read-only, and gone with the step, or given as a variable (`env=NAME`). A secret's value is never in a layer, the image config, the
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
  /** SSH agents the steps may use, by id: a socket path, or none for SSH_AUTH_SOCK's agent (`default`). */
  ssh?: { id: string; path?: string }[];
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

/** What a step's mounts add: binds, and SSH_AUTH_SOCK when it mounts an agent. */
export interface StepMounts {
  binds: { source: string; target: string; readOnly: boolean }[];
  env: string[];
}

/**
 * Binds for the step's secret and ssh mounts, secret files written into `dir` (a folder only root
 * can enter, removed with the step). A mount whose secret or agent the build was not given is
 * left out (as in BuildKit), or fails the step when `required`. An ssh mount binds the agent's
 * socket (`/run/buildkit/ssh_agent.N` unless it names a target); the first sets SSH_AUTH_SOCK.
 */
export function stepMounts(step: RunStep, settings: RunSettings, dir: string): StepMounts {
  const binds: StepMounts['binds'] = [];
  const env: string[] = [];
  let agents = 0;
  (step.mounts ?? []).forEach((mount, i) => {
    if (mount.type === 'ssh') {
      const socket = agentSocket(mount.id, settings);
      if (socket === undefined) {
        if (mount.required) throw new Error(`the SSH agent "${mount.id}" is required by RUN --mount=type=ssh but was not given to the build (add it to the service's build.ssh)`);
        return;
      }
      const target = mount.target ?? `/run/buildkit/ssh_agent.${agents}`;
      if (agents++ === 0) env.push(`SSH_AUTH_SOCK=${target}`);
      binds.push({ source: socket, target, readOnly: false });
      return;
    }
    const secret = settings.secrets?.find((s) => s.id === mount.id);
    if (!secret) {
      if (mount.required) throw new Error(`the secret "${mount.id}" is required by RUN --mount but was not given to the build (add it to the service's build.secrets)`);
      return;
    }
    const value = readSecret(secret);
    if (mount.env !== undefined) {
      // The launcher takes the environment through a pipe: the value is on no command line.
      if (value.includes(0)) throw new Error(`the secret "${mount.id}" holds a NUL byte, which an environment variable (${mount.env}) cannot`);
      env.push(`${mount.env}=${value.toString()}`);
    }
    if (mount.target === undefined) return;
    const file = `${dir}/secret-${i}`;
    fs.writeFileSync(file, value, { mode: 0o600 });
    fs.chownSync(file, mount.uid ?? secret.uid ?? 0, mount.gid ?? secret.gid ?? 0);
    fs.chmodSync(file, mount.mode ?? secret.mode ?? 0o400);
    binds.push({ source: file, target: mount.target, readOnly: true });
  });
  return { binds, env };
}

/** The agent socket for `id`: its path, or SSH_AUTH_SOCK's for an id given without one; undefined when not given. */
export function agentSocket(id: string, settings: RunSettings): string | undefined {
  const given = settings.ssh?.find((k) => k.id === id);
  if (!given) return undefined;
  const socket = given.path ?? process.env.SSH_AUTH_SOCK;
  if (socket === undefined || socket === '') throw new Error(`build.ssh "${id}" takes the agent of SSH_AUTH_SOCK, which is not set`);
  if (!fs.statSync(socket, { throwIfNoEntry: false })?.isSocket()) {
    throw new Error(`build.ssh "${id}": ${socket} is not an SSH agent socket; hafen builds forward agents only (for a key file: eval $(ssh-agent); ssh-add KEY; and use "default")`);
  }
  return socket;
}

/** A secret's value, from its file or the variable (or as it came over a remote host's channel); the message of a failure names where it looked, never a value. */
export function readSecret(secret: BuildSecretSource): Buffer {
  if (secret.value !== undefined) return Buffer.from(secret.value.reveal(), 'base64');
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

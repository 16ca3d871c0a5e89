/**
 * A ContainerSpec as Docker's create request (API 1.41, Docker 20.10): pure, so what hafen asks of
 * the engine is tested as data. API 1.41 takes one network at create; the others are connected
 * before start (`extraNetworks`).
 */
import type Docker from 'dockerode';
import type { Healthcheck, HealthcheckField } from '../../config/model.js';
import { Label, type ContainerSpec, type Mount } from '../runtime.js';
import { processHostConfig } from './process-options.js';
import { applyNetworking } from './networking-options.js';
import { fileMounts } from './container-files.js';

/** Label keeping the image reference as the spec wrote it (`docker-archive:…` runs as a tag). */
export const IMAGE_REF_LABEL = 'io.hafen.image-ref';

/** An endpoint on one network, as create and connect take it. */
export interface Endpoint {
  network: string;
  config: Docker.EndpointSettings;
}

/** Docker's create request for `spec`, running `image` (the engine's name for `spec.image`). */
export interface CreateRequest {
  options: Docker.ContainerCreateOptions;
  /** Networks after the first, connected before start. */
  extraNetworks: Endpoint[];
}

const MS = 1_000_000;

/** The create request of `spec`. */
export function createRequest(spec: ContainerSpec, image: string): CreateRequest {
  const endpoints = spec.networks.map((n): Endpoint => ({
    network: n.name,
    config: {
      Aliases: n.aliases,
      ...(n.ipv4Address || n.ipv6Address ? { IPAMConfig: { ...(n.ipv4Address ? { IPv4Address: n.ipv4Address } : {}), ...(n.ipv6Address ? { IPv6Address: n.ipv6Address } : {}) } } : {}),
      ...(spec.links?.length || spec.externalLinks?.length
        ? { Links: [...(spec.links ?? []).map((l) => `${l.service}:${l.alias}`), ...(spec.externalLinks ?? []).map((l) => (l.includes(':') ? l : `${l}:${l}`))] }
        : {}),
    },
  }));
  const [first, ...rest] = endpoints;
  const ports = spec.ports.map((p) => ({ key: `${p.target}/${p.protocol}`, binding: { HostIp: p.host_ip || '127.0.0.1', HostPort: p.published ? String(p.published) : '' } }));
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const { key, binding } of ports) (portBindings[key] ??= []).push(binding);
  const { memory, cpus, pids } = spec.resources;
  const options: Docker.ContainerCreateOptions = {
    name: spec.name,
    Image: image,
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    ...(spec.command ? { Cmd: spec.command } : {}),
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    ...(spec.user ? { User: spec.user } : {}),
    // Sharing the host's UTS namespace leaves no hostname of its own to set (Docker refuses both).
    ...(spec.uts === 'host' ? {} : { Hostname: spec.hostname }),
    Labels: { ...spec.labels, [IMAGE_REF_LABEL]: spec.image },
    Tty: spec.tty,
    OpenStdin: spec.stdinOpen,
    ...(spec.stopSignal ? { StopSignal: spec.stopSignal } : {}),
    StopTimeout: Math.ceil(spec.stopGracePeriod / 1000),
    ExposedPorts: Object.fromEntries(ports.map((p) => [p.key, {}])),
    ...(spec.healthcheck ? { Healthcheck: dockerHealthcheck(spec.healthcheck) } : {}),
    HostConfig: {
      Mounts: spec.mounts.map(dockerMount),
      PortBindings: portBindings,
      ...(memory ? { Memory: memory, MemorySwap: memory } : {}),
      ...(cpus ? { NanoCpus: Math.round(cpus * 1e9) } : {}),
      ...(pids ? { PidsLimit: pids } : {}),
      RestartPolicy: restartPolicy(spec.labels[Label.restart]),
      ExtraHosts: Object.entries(spec.extraHosts).map(([name, address]) => `${name}:${address}`),
      ReadonlyRootfs: spec.readOnly,
      Privileged: spec.privileged,
      CapAdd: spec.capAdd,
      CapDrop: spec.capDrop,
      // As on the embedded runtime: an ordinary container's processes cannot gain privileges.
      SecurityOpt: spec.privileged ? [] : ['no-new-privileges'],
      NetworkMode: first?.network ?? 'none',
      ...processHostConfig(spec),
      ...composeExtras(spec),
    },
    ...(first ? { NetworkingConfig: { EndpointsConfig: { [first.network]: first.config } } } : {}),
  };
  applyNetworking(spec, options);
  // Mounts of secret and config files, after the volumes they may sit in.
  options.HostConfig!.Mounts!.push(...(fileMounts(spec.files) as unknown as Docker.MountSettings[]));
  if (spec.platform) (options as Record<string, unknown>).platform = spec.platform;
  // An attached `stack run`: stdin closes for good when the attached client's ends (`docker run -i`).
  if (spec.stdinOnce) Object.assign(options, { StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true });
  return { options, extraNetworks: rest };
}

/** HostConfig of logging, annotations, OCI runtime and reservations, passed to the engine as written. */
function composeExtras(spec: ContainerSpec): Record<string, unknown> {
  return {
    ...(spec.logging ? { LogConfig: { Type: spec.logging.driver, Config: { ...spec.logging.options } } } : {}),
    ...(spec.annotations ? { Annotations: { ...spec.annotations } } : {}),
    ...(spec.ociRuntime ? { Runtime: spec.ociRuntime } : {}),
    ...(spec.memoryReservation !== undefined ? { MemoryReservation: spec.memoryReservation } : {}),
    ...(spec.deviceRequests ? { DeviceRequests: spec.deviceRequests.map(deviceRequest) } : {}),
  };
}

/** Compose's `devices:` reservation (driver, count, device_ids, capabilities, options) as Docker's DeviceRequest. */
function deviceRequest(d: Record<string, unknown>): Record<string, unknown> {
  const count = d.count === 'all' ? -1 : d.count === undefined ? (d.device_ids ? 0 : -1) : Number(d.count);
  return {
    Driver: d.driver ?? '',
    Count: count,
    DeviceIDs: d.device_ids ?? [],
    Capabilities: d.capabilities ? [d.capabilities] : [],
    Options: d.options ?? {},
  };
}

/**
 * Our healthcheck (ms) as Docker's (ns); 20.10 has no StartInterval, so the interval applies from the
 * start. Fields the stack file left out go as empty/0, which the engine fills from the image's HEALTHCHECK.
 */
export function dockerHealthcheck(h: Healthcheck): Docker.HealthConfig {
  const own = (field: HealthcheckField) => !h.fromImage?.includes(field);
  return {
    Test: own('test') ? h.test : [],
    Interval: own('interval') ? h.interval * MS : 0,
    Timeout: own('timeout') ? h.timeout * MS : 0,
    Retries: own('retries') ? h.retries : 0,
    StartPeriod: own('start_period') ? h.start_period * MS : 0,
  };
}

/** `io.hafen.restart` (`no`, `always`, `unless-stopped`, `on-failure[:N]`) as Docker's restart policy. */
export function restartPolicy(label: string | undefined): Docker.HostRestartPolicy {
  if (!label || label === 'no') return { Name: 'no' };
  const [name, count] = label.split(':');
  if (name === 'on-failure') return { Name: 'on-failure', MaximumRetryCount: count ? Number(count) : 0 };
  if (name === 'always' || name === 'unless-stopped') return { Name: name };
  return { Name: 'no' };
}

function dockerMount(m: Mount): Docker.MountSettings {
  return mountSettings(m) as unknown as Docker.MountSettings;
}

function mountSettings(m: Mount): Record<string, unknown> {
  const target = trimSlash(m.target);
  switch (m.type) {
    case 'volume':
      // An empty source is an anonymous volume, seeded from the image as Docker does.
      return { Type: 'volume', Target: target, ReadOnly: m.readOnly, ...(m.source ? { Source: m.source } : {}) };
    case 'bind':
      return { Type: 'bind', Source: m.source, Target: target, ReadOnly: m.readOnly, ...(m.propagation ? { BindOptions: { Propagation: m.propagation } } : {}) };
    case 'tmpfs':
      return {
        Type: 'tmpfs',
        Target: target,
        ...(m.size !== undefined || m.mode !== undefined ? { TmpfsOptions: { ...(m.size !== undefined ? { SizeBytes: m.size } : {}), ...(m.mode !== undefined ? { Mode: m.mode } : {}) } } : {}),
      };
  }
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/**
 * Service + instance → `ContainerSpec`: the one place the stack's view of a container becomes the
 * runtime's. Pure; the runtime knows nothing of stacks beyond the names and labels set here.
 */
import type { Service, Stack, VolumeMount } from '../config/model.js';
import { parseSize } from '../config/units.js';
import type { ContainerRef } from '../planner/plan.js';
import { networkName, serviceNetworks, volumeName } from '../planner/resources.js';
import { Label, type ContainerSpec, type Mount } from '../runtime/runtime.js';
import { formatRestartPolicy } from '../runtime/restart-policy.js';
import { processSpecOptions } from './process-spec-options.js';
import { endpointMac, networkingSpec } from './networking-spec.js';
import { containerFiles } from './container-files.js';

/** Linux's limit on a host name (HOST_NAME_MAX); service names are at most 63 characters (the schema's service_name). */
const HOST_NAME_MAX = 64;

/** What a create-container node says of the container beyond its service. */
export interface ContainerIdentity extends ContainerRef {
  image: string;
  configHash: string;
}

/** The container spec of one instance of `service`. */
export function containerSpec(stack: Stack, service: Service, id: ContainerIdentity): ContainerSpec {
  const instance = `${service.name}-${id.number}`;
  const spec: ContainerSpec = {
    name: id.container,
    image: id.image,
    env: { ...service.environment },
    // Names: the kernel's host name holds 64 bytes; a 63-character service's `NAME-N` does not fit.
    hostname: service.hostname ?? (instance.length <= HOST_NAME_MAX ? instance : service.name),
    labels: {
      ...service.labels,
      [Label.project]: stack.name,
      [Label.service]: service.name,
      [Label.instance]: String(id.number),
      [Label.configHash]: id.configHash,
      [Label.restart]: formatRestartPolicy(service.restart),
      ...(stack.files.length > 0 ? { [Label.configFiles]: stack.files.join(',') } : {}),
    },
    mounts: mounts(stack, service),
    networks: serviceNetworks(service).map((key) => {
      const own = service.networks[key];
      const aliases = unique([service.name, instance, ...(own?.aliases ?? [])]);
      return {
        name: networkRuntimeName(stack, key),
        aliases,
        ...(own?.ipv4_address ? { ipv4Address: own.ipv4_address } : {}),
        ...(own?.ipv6_address ? { ipv6Address: own.ipv6_address } : {}),
        ...endpointMac(service, key),
      };
    }),
    links: service.links.map((l) => ({ service: l.service, alias: l.alias })),
    extraHosts: { ...service.extra_hosts },
    ports: service.ports.map((p) => ({ ...p })),
    resources: { ...service.resources },
    // Empty: the image's STOPSIGNAL, else SIGTERM (the runtime knows the image).
    stopSignal: service.stop_signal ?? '',
    stopGracePeriod: service.stop_grace_period,
    tty: service.tty,
    stdinOpen: service.stdin_open,
    readOnly: service.read_only,
    privileged: service.privileged,
    capAdd: [...service.cap_add],
    capDrop: [...service.cap_drop],
    ...processSpecOptions(stack, service),
  };
  if (service.external_links) spec.externalLinks = [...service.external_links];
  if (service.entrypoint) spec.entrypoint = [...service.entrypoint];
  if (service.command) spec.command = [...service.command];
  if (service.working_dir) spec.workingDir = service.working_dir;
  if (service.user) spec.user = service.user;
  Object.assign(spec, networkingSpec(stack, service));
  if (service.network_mode?.kind === 'host') spec.ports = []; // as Docker: the host's ports are the container's
  // Compose secrets/configs, logging, annotations, OCI runtime, reservations, platform.
  const files = containerFiles(stack, service);
  if (files.length > 0) spec.files = files;
  if (service.logging) spec.logging = { driver: service.logging.driver, options: { ...service.logging.options } };
  if (Object.keys(service.annotations).length > 0) spec.annotations = { ...service.annotations };
  if (service.runtime) spec.ociRuntime = service.runtime;
  if (service.reservations.memory !== undefined) spec.memoryReservation = service.reservations.memory;
  if (service.reservations.devices) spec.deviceRequests = structuredClone(service.reservations.devices);
  if (service.platform) spec.platform = service.platform;
  // `["NONE"]` goes to the runtime too: it switches off the image's HEALTHCHECK, as in Docker.
  if (service.healthcheck) spec.healthcheck = { ...service.healthcheck, test: [...service.healthcheck.test] };
  return spec;
}

/** Runtime name of a stack network: its `name:`, else `<project>_<key>` (an external one: the key). */
export function networkRuntimeName(stack: Stack, key: string): string {
  return networkName(stack, key);
}

/** Runtime name of a stack volume: its `name:`, else `<project>_<key>` (an external one: the key). */
export function volumeRuntimeName(stack: Stack, key: string): string {
  return volumeName(stack, key);
}

/**
 * The service's mounts in order: its `volumes:` (a named volume by its runtime name; an anonymous one
 * with an empty source, which the runtime makes), then `tmpfs:`, then the volumes and binds of the
 * services in `volumes_from` (read-only when asked).
 */
function mounts(stack: Stack, service: Service): Mount[] {
  const out = service.volumes.map((m) => mount(stack, m, false));
  for (const entry of service.tmpfs) out.push(tmpfsEntry(entry));
  for (const from of service.volumes_from) {
    for (const m of stack.services[from.service]?.volumes ?? []) {
      if (m.type === 'tmpfs' || (m.type === 'volume' && m.source === undefined)) continue;
      out.push(mount(stack, m, from.read_only));
    }
  }
  return out;
}

function mount(stack: Stack, m: VolumeMount, forceReadOnly: boolean): Mount {
  switch (m.type) {
    case 'volume':
      return {
        type: 'volume',
        source: m.source === undefined ? '' : volumeRuntimeName(stack, m.source),
        target: m.target,
        readOnly: m.read_only || forceReadOnly,
      };
    case 'bind':
      return { type: 'bind', source: m.source, target: m.target, readOnly: m.read_only || forceReadOnly, ...(m.propagation ? { propagation: m.propagation } : {}) };
    case 'tmpfs': {
      const out: Mount = { type: 'tmpfs', target: m.target };
      if (m.size !== undefined) out.size = m.size;
      if (m.mode !== undefined) out.mode = m.mode;
      return out;
    }
  }
}

/** A `tmpfs:` entry: `/run` or `/run:size=64m,mode=1777`, as Docker takes it. */
function tmpfsEntry(entry: string): Mount {
  const [target = entry, options = ''] = splitOnce(entry, ':');
  const out: Mount = { type: 'tmpfs', target };
  for (const option of options.split(',').filter(Boolean)) {
    const [key, value = ''] = splitOnce(option, '=');
    if (key === 'size') out.size = parseSize(value);
    else if (key === 'mode') out.mode = parseInt(value, 8);
  }
  return out;
}

function splitOnce(text: string, sep: string): [string, string?] {
  const at = text.indexOf(sep);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter(Boolean))];
}

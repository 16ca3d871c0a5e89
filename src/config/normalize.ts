/** The whole validated stack file in its long form: services, networks, volumes, ships. */
import { ipVersion as isIP } from './ip-address.js';
import path from 'node:path';
import { secretSources } from './build-keys.js';
import { normalizeFileObjects, normalizeFileReferences } from './file-objects.js';
import { labelsOf } from './mappings.js';
import { addNetworkModeDependency } from './networking.js';
import { cidrContains } from './cidr-contains.js';
import { DEFAULT_NETWORK, type IpamPool, type Network, type Ship, type Stack, type Volume } from './model.js';
import type { RawNetwork, RawShip, RawStack, RawVolume } from './raw.js';
import { extensionsOf, normalizeService, type NormalizeContext } from './service.js';
import type { StackSourceMap } from './source-map.js';

/** What the loader already knows about the file. */
export interface StackMeta {
  name: string;
  file: string;
  files: string[];
  dir: string;
  source: StackSourceMap;
}

/** Normalizes every part of the stack; problems go to `ctx.issues`. */
export function normalizeStack(raw: RawStack, meta: StackMeta, ctx: NormalizeContext): Stack {
  const withSecrets: NormalizeContext = { ...ctx, ...secretSources(raw, ctx.dir) };
  const services = Object.fromEntries(Object.entries(raw.services).map(([name, s]) => [name, normalizeService(name, s, withSecrets)]));
  for (const [name, s] of Object.entries(services)) addNetworkModeDependency(`services.${name}`, s, services, ctx.issues);
  const networks: Record<string, Network> = {};
  for (const [name, n] of Object.entries(raw.networks ?? {})) networks[name] = networkOf(meta.name, name, n, ctx);
  const usesDefault = Object.values(services).some((s) => DEFAULT_NETWORK in s.networks);
  if (usesDefault && !(DEFAULT_NETWORK in networks)) networks[DEFAULT_NETWORK] = networkOf(meta.name, DEFAULT_NETWORK, null, ctx);
  const stack: Stack = {
    name: meta.name,
    file: meta.file,
    files: meta.files,
    dir: meta.dir,
    services,
    networks,
    volumes: Object.fromEntries(Object.entries(raw.volumes ?? {}).map(([name, v]) => [name, volumeOf(meta.name, name, v, ctx)])),
    ships: Object.fromEntries(Object.entries(raw.ships ?? {}).map(([name, s]) => [name, shipOf(name, s, ctx.dir)])),
    secrets: normalizeFileObjects('secrets', raw.secrets, ctx),
    configs: normalizeFileObjects('configs', raw.configs, ctx),
    extensions: extensionsOf(raw),
    source: meta.source,
  };
  if (raw.runtime !== undefined) stack.runtime = raw.runtime;
  // Issue 18, push: the registry `stack push` prefixes images with when they name none.
  const registry = (raw as { 'x-hafen-registry'?: unknown })['x-hafen-registry'];
  if (typeof registry === 'string') stack.registry = registry;
  // Issue 17, rootless: limits that cannot be applied refuse the start (as --strict-limits).
  if ((raw as { 'x-hafen-strict-limits'?: unknown })['x-hafen-strict-limits'] === true) stack.strictLimits = true;
  // Services' secrets and configs point at the top-level ones, known only now.
  for (const [name, s] of Object.entries(services)) {
    s.secrets = normalizeFileReferences('secrets', name, raw.services[name]?.secrets, stack.secrets, ctx.issues);
    s.configs = normalizeFileReferences('configs', name, raw.services[name]?.configs, stack.configs, ctx.issues);
  }
  return stack;
}

function networkOf(project: string, name: string, raw: RawNetwork | null, ctx: NormalizeContext): Network {
  const base = `networks.${name}`;
  const external = raw?.external ?? false;
  const net: Network = {
    name: runtimeName(project, name, raw?.name, external),
    external,
    internal: raw?.internal ?? false,
    labels: labelsOf(raw?.labels, (at, m) => ctx.issues.value(`${base}.labels${at}`, m)),
    ipam: (raw?.ipam?.config ?? []).map((c, i) => ipamPool(`${base}.ipam.config[${i}]`, c, ctx)),
    driver_opts: textValues(raw?.driver_opts),
    attachable: raw?.attachable ?? false,
    enable_ipv6: raw?.enable_ipv6 ?? false,
  };
  const subnet = net.ipam[0]?.subnet;
  if (subnet !== undefined) net.subnet = subnet;
  // Issue 18, swarm: kept so the runtimes without a swarm refuse it by name (swarm-support.ts).
  if (raw?.driver === 'overlay') net.driver = 'overlay';
  return net;
}

/** One `ipam.config` entry: a subnet, and a gateway and ip_range inside it. */
function ipamPool(at: string, raw: NonNullable<NonNullable<RawNetwork['ipam']>['config']>[number], ctx: NormalizeContext): IpamPool {
  const pool: IpamPool = { aux_addresses: { ...(raw.aux_addresses ?? {}) } };
  if (raw.subnet !== undefined) {
    if (isCidr(raw.subnet)) pool.subnet = raw.subnet;
    else ctx.issues.value(`${at}.subnet`, `expected a subnet like 10.10.0.0/24, got ${JSON.stringify(raw.subnet)}`);
  }
  if (raw.ip_range !== undefined) {
    if (!isCidr(raw.ip_range)) ctx.issues.value(`${at}.ip_range`, `expected a range like 10.10.0.128/25, got ${JSON.stringify(raw.ip_range)}`);
    else if (pool.subnet && !cidrContains(pool.subnet, raw.ip_range)) ctx.issues.value(`${at}.ip_range`, `${raw.ip_range} is not inside the subnet ${pool.subnet}`);
    else pool.ip_range = raw.ip_range;
  }
  if (raw.gateway !== undefined) {
    if (isIP(raw.gateway) === 0) ctx.issues.value(`${at}.gateway`, `expected an IP address, got ${JSON.stringify(raw.gateway)}`);
    else if (pool.subnet && !cidrContains(pool.subnet, raw.gateway)) ctx.issues.value(`${at}.gateway`, `${raw.gateway} is not inside the subnet ${pool.subnet}`);
    else pool.gateway = raw.gateway;
  }
  for (const [key, address] of Object.entries(pool.aux_addresses)) {
    if (isIP(address) === 0) ctx.issues.value(`${at}.aux_addresses.${key}`, `expected an IP address, got ${JSON.stringify(address)}`);
  }
  return pool;
}

function volumeOf(project: string, name: string, raw: RawVolume | null, ctx: NormalizeContext): Volume {
  const external = raw?.external ?? false;
  return {
    name: runtimeName(project, name, raw?.name, external),
    external,
    labels: labelsOf(raw?.labels, (at, m) => ctx.issues.value(`volumes.${name}.labels${at}`, m)),
    driver_opts: textValues(raw?.driver_opts),
  };
}

/** Compose's runtime name of a network or volume: `name:`, else the key when external, else `<project>_<key>`. */
function runtimeName(project: string, key: string, given: string | undefined, external: boolean): string {
  if (given !== undefined) return given;
  return external ? key : `${project}_${key}`;
}

function textValues(record: Record<string, string | number> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(record ?? {}).map(([k, v]) => [k, String(v)]));
}

/** TLS files resolve against the stack file's folder, like every other relative path. */
function shipOf(name: string, raw: RawShip, dir: string): Ship {
  const ship: Ship = { name, docker: raw.docker ?? '', ...(raw.manager ? { manager: true } : {}) };
  if (raw.runtime === 'embedded') ship.embedded = raw.host !== undefined ? { host: raw.host } : {};
  if (raw.tls) {
    const tls: NonNullable<Ship['tls']> = { verify: raw.tls.verify ?? true };
    for (const key of ['ca', 'cert', 'key'] as const) {
      const file = raw.tls[key];
      if (file !== undefined) tls[key] = path.resolve(dir, file);
    }
    ship.tls = tls;
  }
  return ship;
}

function isCidr(text: string): boolean {
  const [addr, bits, extra] = text.split('/');
  const version = isIP(addr ?? '');
  if (version === 0 || extra !== undefined || bits === undefined || !/^\d+$/.test(bits)) return false;
  return Number(bits) <= (version === 4 ? 32 : 128);
}

/** The whole validated stack file in its long form: services, networks, volumes, ships. */
import { isIP } from 'node:net';
import path from 'node:path';
import { normalizeFileObjects, normalizeFileReferences } from './file-objects.js';
import { labelsOf } from './mappings.js';
import { DEFAULT_NETWORK, type Network, type Ship, type Stack, type Volume } from './model.js';
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
  const services = Object.fromEntries(Object.entries(raw.services).map(([name, s]) => [name, normalizeService(name, s, ctx)]));
  const networks: Record<string, Network> = {};
  for (const [name, n] of Object.entries(raw.networks ?? {})) networks[name] = networkOf(name, n, ctx);
  const usesDefault = Object.values(services).some((s) => DEFAULT_NETWORK in s.networks);
  if (usesDefault && !(DEFAULT_NETWORK in networks)) networks[DEFAULT_NETWORK] = { name: DEFAULT_NETWORK, external: false, internal: false, labels: {} };
  const stack: Stack = {
    name: meta.name,
    file: meta.file,
    files: meta.files,
    dir: meta.dir,
    services,
    networks,
    volumes: Object.fromEntries(Object.entries(raw.volumes ?? {}).map(([name, v]) => [name, volumeOf(name, v, ctx)])),
    ships: Object.fromEntries(Object.entries(raw.ships ?? {}).map(([name, s]) => [name, shipOf(name, s, ctx.dir)])),
    secrets: normalizeFileObjects('secrets', raw.secrets, ctx),
    configs: normalizeFileObjects('configs', raw.configs, ctx),
    extensions: extensionsOf(raw),
    source: meta.source,
  };
  if (raw.runtime !== undefined) stack.runtime = raw.runtime;
  // Services' secrets and configs point at the top-level ones, known only now.
  for (const [name, s] of Object.entries(services)) {
    s.secrets = normalizeFileReferences('secrets', name, raw.services[name]?.secrets, stack.secrets, ctx.issues);
    s.configs = normalizeFileReferences('configs', name, raw.services[name]?.configs, stack.configs, ctx.issues);
  }
  return stack;
}

function networkOf(name: string, raw: RawNetwork | null, ctx: NormalizeContext): Network {
  const net: Network = {
    name,
    external: raw?.external ?? false,
    internal: raw?.internal ?? false,
    labels: labelsOf(raw?.labels, (at, m) => ctx.issues.value(`networks.${name}.labels${at}`, m)),
  };
  const subnet = raw?.ipam?.config?.[0]?.subnet;
  if (subnet !== undefined) {
    if (isCidr(subnet)) net.subnet = subnet;
    else ctx.issues.value(`networks.${name}.ipam.config[0].subnet`, `expected a subnet like 10.10.0.0/24, got ${JSON.stringify(subnet)}`);
  }
  return net;
}

function volumeOf(name: string, raw: RawVolume | null, ctx: NormalizeContext): Volume {
  return { name, external: raw?.external ?? false, labels: labelsOf(raw?.labels, (at, m) => ctx.issues.value(`volumes.${name}.labels${at}`, m)) };
}

/** TLS files resolve against the stack file's folder, like every other relative path. */
function shipOf(name: string, raw: RawShip, dir: string): Ship {
  const ship: Ship = { name, docker: raw.docker };
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

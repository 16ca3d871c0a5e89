/** One service of the stack file in its long form: every short form expanded, units parsed, defaults filled in. */
import { ipVersion as isIP } from './ip-address.js';
import path from 'node:path';
import { formatIssue } from '../errors.js';
import { composeBuildKeys, isGitContext, type SecretSource } from './build-keys.js';
import type { EnvFile } from './env-file.js';
import { normalizeHealthcheck, normalizeReady } from './health.js';
import type { Lookup } from './interpolate.js';
import type { Issues } from './issues.js';
import { droppedTailWarning, entries, execForm, labelsOf, parseExpose, parseExtraHosts, parseLink, parseVolumesFrom, withEnvironment, type Report } from './mappings.js';
import { DEFAULT_NETWORK, type BuildSpec, type Dependency, type PortMapping, type Resources, type RestartPolicy, type Service, type ServiceNetwork } from './model.js';
import { namespaceServices, processKeysOf } from './process-keys.js';
import { parseMac, serviceNetworking } from './networking.js';
import { namesHostIp, parsePort } from './ports.js';
import type { RawService } from './raw.js';
import { parseCpus, parseDuration, parseSize } from './units.js';
import { parseVolume } from './volumes.js';
import { serviceExtras } from './service-extras.js';
import { swarmDeployOf } from './deploy-keys.js';
import type { DroppedTail } from './shell-words.js';

/** What normalizing a service needs beyond the service itself. */
export interface NormalizeContext {
  /** Folder of the stack file. */
  dir: string;
  /** Told what is read but means nothing (as Compose reads it); the CLI prints it on stderr. */
  warn?: (message: string) => void;
  /** The project environment: the process environment over `.env`. */
  env: Lookup;
  /** The user's home folder, for `~/` host paths. */
  home?: string;
  /** Env files read beforehand, by absolute path; undefined: missing. */
  envFiles: ReadonlyMap<string, EnvFile | undefined>;
  issues: Issues;
  /** The key path each normalized port was written at (a range gives several ports for one entry). */
  portOrigins: Map<PortMapping, string>;
  /** Where ports without an address listen (default 127.0.0.1; 0.0.0.0 with --publish-all-interfaces). */
  defaultHostIp?: string;
  /** Services that publish a port without an address, filled in while normalizing. */
  portsWithoutAddress?: Set<string>;
  /** Top-level secrets a build may use (src/config/build-keys.ts); undefined: the file has no `secrets:`. */
  secrets?: ReadonlyMap<string, SecretSource | undefined>;
}

/** An `env_file:` entry as written. */
export interface EnvFileRef {
  file: string;
  required: boolean;
  /** Key path of the entry. */
  at: string;
}

/** The env files a service names, in order. */
export function envFileRefs(name: string, raw: RawService): EnvFileRef[] {
  const base = `services.${name}.env_file`;
  if (raw.env_file === undefined) return [];
  if (typeof raw.env_file === 'string') return [{ file: raw.env_file, required: true, at: base }];
  return raw.env_file.map((e, i) =>
    typeof e === 'string' ? { file: e, required: true, at: `${base}[${i}]` } : { file: e.path, required: e.required ?? true, at: `${base}[${i}]` },
  );
}

const DEFAULT_STOP_GRACE = 10_000;

/** Normalizes one service; problems go to `ctx.issues` and the field falls back to its default. */
export function normalizeService(name: string, raw: RawService, ctx: NormalizeContext): Service {
  const base = `services.${name}`;
  const { issues } = ctx;
  const check = <T>(key: string, fn: () => T): T | undefined => issues.check(`${base}.${key}`, fn);
  const reporter = (key: string): Report => (at, message) => issues.value(`${base}.${key}${at}`, message);

  const { environment, env_file } = environmentOf(name, raw, ctx);
  const service: Service = {
    name,
    environment,
    env_file,
    labels: labelsOf(raw.labels, reporter('labels')),
    volumes: (raw.volumes ?? []).flatMap((v, i) => {
      const at = `${base}.volumes[${i}]`;
      const warn = (message: string) => ctx.warn?.(formatIssue(issues.source.valueIssue(at, message)));
      const m = check(`volumes[${i}]`, () => parseVolume(v, { ...ctx, warn }));
      return m ? [m] : [];
    }),
    networks: networksOf(name, raw, ctx),
    ports: (raw.ports ?? []).flatMap((p, i) => {
      const list = check(`ports[${i}]`, () => parsePort(p, ctx.defaultHostIp)) ?? [];
      if (!namesHostIp(p)) ctx.portsWithoutAddress?.add(name);
      for (const m of list) ctx.portOrigins.set(m, `${base}.ports[${i}]`);
      return list;
    }),
    expose: [...new Set((raw.expose ?? []).flatMap((e, i) => check(`expose[${i}]`, () => parseExpose(e)) ?? []))],
    ...(raw.external_links?.length ? { external_links: [...raw.external_links] } : {}),
    links: (raw.links ?? []).flatMap((l, i) => {
      const link = check(`links[${i}]`, () => parseLink(l));
      return link ? [link] : [];
    }),
    extra_hosts: parseExtraHosts(raw.extra_hosts, reporter('extra_hosts')),
    resources: resourcesOf(raw, check),
    restart: restartOf(raw),
    stop_grace_period: raw.stop_grace_period === undefined ? DEFAULT_STOP_GRACE : (check('stop_grace_period', () => parseDuration(raw.stop_grace_period!)) ?? DEFAULT_STOP_GRACE),
    depends_on: dependenciesOf(name, raw, ctx),
    volumes_from: (raw.volumes_from ?? []).flatMap((v, i) => {
      const from = check(`volumes_from[${i}]`, () => parseVolumesFrom(v));
      return from ? [from] : [];
    }),
    replicas: replicasOf(name, raw, issues),
    profiles: [...(raw.profiles ?? [])],
    tty: raw.tty ?? false,
    stdin_open: raw.stdin_open ?? false,
    ...(raw.attach === false ? { attach: false as const } : {}),
    init: raw.init ?? false,
    read_only: raw.read_only ?? false,
    privileged: raw.privileged ?? false,
    cap_add: [...(raw.cap_add ?? [])],
    cap_drop: [...(raw.cap_drop ?? [])],
    tmpfs: raw.tmpfs === undefined ? [] : typeof raw.tmpfs === 'string' ? [raw.tmpfs] : [...raw.tmpfs],
    ...serviceNetworking(base, raw, issues),
    extensions: extensionsOf(raw),
    // Filled in by normalizeStack once the top-level secrets and configs are known.
    secrets: [],
    configs: [],
    ...serviceExtras(name, raw, issues),
  };
  Object.assign(service, processKeysOf(name, raw, issues, ctx.dir));
  // Issue 18, swarm: the deploy keys only a Swarm honours.
  const deploy = swarmDeployOf(name, raw, issues);
  if (deploy) service.deploy = deploy;
  // Sharing another service's IPC or PID namespace needs it running first (as Compose adds it to depends_on).
  for (const { key, service: dep } of namespaceServices(service)) {
    if (Object.hasOwn(service.depends_on, dep)) continue;
    service.depends_on[dep] = { condition: 'service_started', restart: true, required: true };
    issues.source.alias(`${base}.depends_on.${dep}`, `${base}.${key}`);
  }
  if (raw.image !== undefined) service.image = archivePathFromFile(raw.image, ctx.dir);
  if (raw.build !== undefined) {
    const build = check('build', () => buildOf(raw.build!, ctx, reporter('build')));
    if (build) service.build = build;
  }
  for (const key of ['command', 'entrypoint'] as const) {
    // Compose quietly cuts `a && b` to `a`; hafen means the same and says so where it is written.
    let dropped: DroppedTail | undefined;
    const words = check(key, () => execForm(raw[key], (d) => (dropped = d)));
    if (dropped) ctx.warn?.(formatIssue(issues.source.valueIssue(`${base}.${key}`, droppedTailWarning(words, dropped))));
    if (words) service[key] = words;
  }
  if (raw.stop_signal !== undefined) service.stop_signal = signalOf(raw.stop_signal);
  if (raw.working_dir !== undefined) service.working_dir = raw.working_dir;
  if (raw.user !== undefined) service.user = String(raw.user);
  if (raw.hostname !== undefined) service.hostname = raw.hostname;
  if (raw.container_name !== undefined) service.container_name = raw.container_name;
  if (raw.platform !== undefined) service.platform = raw.platform;
  if (raw.ship !== undefined) service.ship = raw.ship;
  const healthcheck = check('healthcheck', () => normalizeHealthcheck(raw.healthcheck, (k, fn) => check(`healthcheck.${k}`, fn)));
  if (healthcheck) service.healthcheck = healthcheck;
  const ready = check('ready', () => normalizeReady(raw.ready, (k, fn) => check(`ready.${k}`, fn)));
  if (ready) service.ready = ready;
  return service;
}

/** env_file contents first (in order), then `environment`, which wins. */
function environmentOf(name: string, raw: RawService, ctx: NormalizeContext): { environment: Record<string, string>; env_file: string[] } {
  const environment: Record<string, string> = {};
  const files: string[] = [];
  for (const ref of envFileRefs(name, raw)) {
    const file = path.resolve(ctx.dir, ref.file);
    const parsed = ctx.envFiles.get(file);
    if (parsed === undefined) {
      if (ref.required) ctx.issues.value(ref.at, `env file ${JSON.stringify(ref.file)} does not exist`);
      continue;
    }
    ctx.issues.list.push(...parsed.issues);
    Object.assign(environment, parsed.vars);
    files.push(file);
  }
  const list = entries(raw.environment, (at, message) => ctx.issues.value(`services.${name}.environment${at}`, message));
  withEnvironment(list, ctx.env, environment);
  return { environment, env_file: files };
}

function buildOf(raw: NonNullable<RawService['build']>, ctx: NormalizeContext, report: Report): BuildSpec {
  const spec = typeof raw === 'string' ? { context: raw } : raw;
  const context = spec.context ?? '.';
  // A git URL is kept as written: Docker clones it; the embedded runtime refuses it (src/planner/build-support.ts).
  const remote = isGitContext(context) || /^[a-z][a-z0-9+.-]*:\/\//i.test(context);
  const build: BuildSpec = {
    context: remote ? context : path.resolve(ctx.dir, context),
    dockerfile: spec.dockerfile ?? 'Dockerfile',
    args: withEnvironment(entries(spec.args, (at, m) => report(`.args${at}`, m)), ctx.env),
    labels: labelsOf(spec.labels, (at, m) => report(`.labels${at}`, m)),
    no_cache: spec.no_cache ?? false,
  };
  if (spec.target !== undefined) build.target = spec.target;
  if (remote) build.remote = true;
  Object.assign(build, composeBuildKeys(spec, { dir: ctx.dir, ...(ctx.home !== undefined ? { home: ctx.home } : {}), ...(ctx.secrets ? { secrets: ctx.secrets } : {}) }, report));
  return build;
}

function networksOf(name: string, raw: RawService, ctx: NormalizeContext): Record<string, ServiceNetwork> {
  const base = `services.${name}`;
  const out: Record<string, ServiceNetwork> = {};
  if (Array.isArray(raw.networks)) {
    raw.networks.forEach((n, i) => {
      out[n] = { aliases: [] };
      ctx.issues.source.alias(`${base}.networks.${n}`, `${base}.networks[${i}]`);
    });
  } else {
    for (const [n, settings] of Object.entries(raw.networks ?? {})) {
      const net: ServiceNetwork = { aliases: [...(settings?.aliases ?? [])] };
      const ip = settings?.ipv4_address;
      if (ip !== undefined) {
        if (/^(\d{1,3})(\.\d{1,3}){3}$/.test(ip) && ip.split('.').every((o) => Number(o) <= 255)) net.ipv4_address = ip;
        else ctx.issues.value(`${base}.networks.${n}.ipv4_address`, `expected an IPv4 address like 10.5.0.7, got ${JSON.stringify(ip)}`);
      }
      const ip6 = settings?.ipv6_address;
      if (ip6 !== undefined) {
        if (isIP(ip6) === 6) net.ipv6_address = ip6;
        else ctx.issues.value(`${base}.networks.${n}.ipv6_address`, `expected an IPv6 address like fd00::7, got ${JSON.stringify(ip6)}`);
      }
      if (settings?.mac_address !== undefined) {
        const mac = ctx.issues.check(`${base}.networks.${n}.mac_address`, () => parseMac(settings.mac_address!));
        if (mac) net.mac_address = mac;
      }
      out[n] = net;
    }
  }
  const hasMode = raw.network_mode !== undefined && raw.network_mode !== 'bridge' && raw.network_mode !== 'default';
  // As compose-go: a network_mode and a non-empty networks: cannot go together.
  if (hasMode && Object.keys(out).length > 0) {
    ctx.issues.value(`${base}.network_mode`, `network_mode "${raw.network_mode}" and networks: are mutually exclusive (as in Compose); remove one of them`);
  }
  if (Object.keys(out).length === 0 && !hasMode) out[DEFAULT_NETWORK] = { aliases: [] };
  return out;
}

function dependenciesOf(name: string, raw: RawService, ctx: NormalizeContext): Record<string, Dependency> {
  const base = `services.${name}.depends_on`;
  const out: Record<string, Dependency> = {};
  if (Array.isArray(raw.depends_on)) {
    raw.depends_on.forEach((dep, i) => {
      if (Object.hasOwn(out, dep)) ctx.issues.value(`${base}[${i}]`, `"${dep}" is listed twice`);
      out[dep] = { condition: 'service_started', restart: false, required: true };
      ctx.issues.source.alias(`${base}.${dep}`, `${base}[${i}]`);
    });
    return out;
  }
  for (const [dep, d] of Object.entries(raw.depends_on ?? {})) {
    out[dep] = { condition: d?.condition ?? 'service_started', restart: d?.restart ?? false, required: d?.required ?? true };
  }
  return out;
}

/** `resources:` wins over `deploy.resources.limits`, which wins over Compose's old mem_limit/cpus/pids_limit. */
function resourcesOf(raw: RawService, check: <T>(key: string, fn: () => T) => T | undefined): Resources {
  const limits = raw.deploy?.resources?.limits;
  const first = <T>(...candidates: [T | undefined, string][]) => candidates.find(([v]) => v !== undefined) as [T, string] | undefined;
  const out: Resources = {};
  const memory = first<string | number>([raw.resources?.memory, 'resources.memory'], [limits?.memory, 'deploy.resources.limits.memory'], [raw.mem_limit, 'mem_limit']);
  if (memory) {
    const bytes = check(memory[1], () => parseSize(memory[0]));
    if (bytes !== undefined) out.memory = bytes;
  }
  const cpus = first<string | number>([raw.resources?.cpus, 'resources.cpus'], [limits?.cpus, 'deploy.resources.limits.cpus'], [raw.cpus, 'cpus']);
  if (cpus) {
    const n = check(cpus[1], () => parseCpus(cpus[0]));
    if (n !== undefined) out.cpus = n;
  }
  const pids = raw.resources?.pids ?? limits?.pids ?? raw.pids_limit;
  if (pids !== undefined) out.pids = pids;
  return out;
}

/** `restart:` wins over `deploy.restart_policy`; the default is "no". */
function restartOf(raw: RawService): RestartPolicy {
  if (raw.restart !== undefined) {
    const [policy, n] = raw.restart.split(':');
    if (policy === 'on-failure') return n === undefined ? { policy } : { policy, max_retries: Number(n) };
    if (policy === 'always' || policy === 'unless-stopped') return { policy };
    return { policy: 'no' };
  }
  const rp = raw.deploy?.restart_policy;
  if (rp?.condition === 'on-failure') return rp.max_attempts === undefined ? { policy: 'on-failure' } : { policy: 'on-failure', max_retries: rp.max_attempts };
  if (rp?.condition === 'any') return { policy: 'always' };
  return { policy: 'no' };
}

/** `INT`, `sigint`, `SIGINT` → `SIGINT`; a number stays a number (as Docker reads it). */
function signalOf(signal: string): string {
  const text = signal.trim().toUpperCase();
  if (/^\d+$/.test(text)) return text;
  return text.startsWith('SIG') ? text : `SIG${text}`;
}

/** `replicas`, `deploy.replicas` and `scale` mean the same; given twice, they must agree. */
function replicasOf(name: string, raw: RawService, issues: Issues): number {
  const given = ([
    ['replicas', raw.replicas],
    ['deploy.replicas', raw.deploy?.replicas],
    ['scale', raw.scale],
  ] as const).filter(([, v]) => v !== undefined) as [string, number][];
  const [first, ...others] = given;
  for (const [key, v] of others) {
    if (v !== first![1]) issues.value(`services.${name}.${key}`, `${key}: ${v} disagrees with ${first![0]}: ${first![1]}`);
  }
  return first?.[1] ?? 1;
}

/** The `x-*` keys of a mapping, kept as written. */
export function extensionsOf(raw: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([k]) => k.startsWith('x-')));
}

/** `docker-archive:PATH[:REF]` and `oci:PATH[:REF]` with a relative PATH: relative to the stack file, like every path in it. */
export function archivePathFromFile(image: string, dir: string): string {
  for (const transport of ['docker-archive:', 'oci:']) {
    if (!image.startsWith(transport)) continue;
    const rest = image.slice(transport.length);
    const colon = rest.indexOf(':');
    const file = colon < 0 ? rest : rest.slice(0, colon);
    if (file === '' || path.isAbsolute(file)) return image;
    return `${transport}${path.resolve(dir, file)}${colon < 0 ? '' : rest.slice(colon)}`;
  }
  return image;
}

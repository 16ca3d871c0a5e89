/**
 * The normalized model written back as a plain stack-file object (`stack config`): long forms
 * only, durations as `1m30s`, sizes in bytes, absolute paths. Loading what it prints gives the
 * same model again. Defaults that mean "nothing" (false, empty lists) are left out.
 */
import type { Healthcheck, HealthcheckField, Network, ReadyCheck, RestartPolicy, Service, Ship, Stack, VolumeMount } from './model.js';
import { formatNetworkMode } from './networking.js';
import { serializeBuildKeys } from './build-keys.js';
import { formatDuration } from './units.js';
import { formatMode } from './volumes.js';
import { serializeProcessKeys } from './process-keys-serialize.js';
import { serializeFileObjects, serializeServiceExtras } from './serialize-extras.js';
import { serializeSwarmDeploy } from './deploy-keys.js';

type Doc = Record<string, unknown>;

/** The stack as a plain object ready for YAML or JSON; without `source`, `file` and `dir`. */
export function serializeStack(stack: Stack): Doc {
  const doc: Doc = { name: stack.name };
  if (stack.runtime !== undefined) doc.runtime = stack.runtime;
  doc.services = mapValues(stack.services, serializeService);
  if (nonEmpty(stack.networks)) doc.networks = mapEntries(stack.networks, (key, n) => serializeNetwork(n, customName(stack.name, key, n)));
  if (nonEmpty(stack.volumes)) {
    doc.volumes = mapEntries(stack.volumes, (key, v) =>
      compact({ name: customName(stack.name, key, v), external: v.external || undefined, driver_opts: orNone(v.driver_opts), labels: orNone(v.labels) }),
    );
  }
  if (nonEmpty(stack.ships)) doc.ships = mapValues(stack.ships, serializeShip);
  Object.assign(doc, compact({ secrets: serializeFileObjects(stack.secrets), configs: serializeFileObjects(stack.configs) }));
  Object.assign(doc, stack.extensions);
  // Loading interpolates every string again, so a literal `$` must be written `$$`.
  return escapeDollars(doc) as Doc;
}

function serializeService(s: Service): Doc {
  const doc = serviceDoc(s);
  // Issue 18, swarm: the Swarm deploy keys join the reservations already under `deploy:`.
  const swarm = serializeSwarmDeploy(s.deploy);
  if (Object.keys(swarm).length > 0) doc.deploy = { ...(doc.deploy as Doc | undefined), ...swarm };
  return doc;
}

function serviceDoc(s: Service): Doc {
  return compact({
    image: s.image,
    // With dockerfile_inline there is no Dockerfile to name (Compose prints none).
    build: s.build && compact({ context: s.build.context, dockerfile: s.build.dockerfile_inline === undefined ? s.build.dockerfile : undefined, args: orNone(s.build.args), target: s.build.target, labels: orNone(s.build.labels), no_cache: s.build.no_cache || undefined, ...serializeBuildKeys(s.build) }),
    pull_policy: s.pull_policy,
    command: s.command,
    entrypoint: s.entrypoint,
    environment: orNone(s.environment),
    env_file: orNone(s.env_file),
    working_dir: s.working_dir,
    user: s.user,
    hostname: s.hostname,
    container_name: s.container_name,
    platform: s.platform,
    labels: orNone(s.labels),
    volumes: orNone(s.volumes.map(serializeMount)),
    volumes_from: orNone(s.volumes_from.map((v) => (v.read_only ? `${v.service}:ro` : v.service))),
    tmpfs: orNone(s.tmpfs),
    networks: s.network_mode ? undefined : mapValues(s.networks, (n) => compact({ aliases: orNone(n.aliases), ipv4_address: n.ipv4_address, ipv6_address: n.ipv6_address, mac_address: n.mac_address })),
    ports: orNone(s.ports.map((p) => compact({ target: p.target, published: p.published, host_ip: p.host_ip, protocol: p.protocol, mode: p.mode }))),
    expose: orNone(s.expose),
    links: orNone(s.links.map((l) => (l.alias === l.service ? l.service : `${l.service}:${l.alias}`))),
    external_links: s.external_links,
    extra_hosts: orNone(s.extra_hosts),
    healthcheck: s.healthcheck && (s.healthcheck.test[0] === 'NONE' ? { disable: true } : serializeHealthcheck(s.healthcheck)),
    ready: s.ready && serializeReady(s.ready),
    resources: orNone(compact({ ...s.resources })),
    restart: restartText(s.restart),
    stop_grace_period: formatDuration(s.stop_grace_period),
    stop_signal: s.stop_signal,
    depends_on: orNone(mapValues(s.depends_on, (d) => compact({ condition: d.condition, restart: d.restart || undefined, required: d.required ? undefined : false }))),
    replicas: s.replicas,
    profiles: orNone(s.profiles),
    ship: s.ship,
    tty: s.tty || undefined,
    stdin_open: s.stdin_open || undefined,
    attach: s.attach,
    init: s.init || undefined,
    read_only: s.read_only || undefined,
    privileged: s.privileged || undefined,
    cap_add: orNone(s.cap_add),
    cap_drop: orNone(s.cap_drop),
    ...serializeProcessKeys(s),
    network_mode: s.network_mode && formatNetworkMode(s.network_mode),
    dns: orNone(s.dns),
    dns_search: orNone(s.dns_search),
    dns_opt: orNone(s.dns_opt),
    domainname: s.domainname,
    mac_address: s.mac_address,
    ...serializeServiceExtras(s),
    ...s.extensions,
  });
}

function serializeMount(m: VolumeMount): Doc {
  switch (m.type) {
    case 'volume':
      return compact({ type: m.type, source: m.source, target: m.target, read_only: m.read_only });
    case 'bind':
      return { type: m.type, source: m.source, target: m.target, read_only: m.read_only, bind: compact({ create_host_path: m.create_host_path, propagation: m.propagation }) };
    case 'tmpfs':
      return compact({ type: m.type, target: m.target, tmpfs: orNone(compact({ size: m.size, mode: m.mode === undefined ? undefined : formatMode(m.mode) })) });
    default: {
      const never: never = m;
      return never;
    }
  }
}

function serializeHealthcheck(h: Healthcheck): Doc {
  // Fields the image's HEALTHCHECK supplies stay unwritten, so the output reads back the same.
  const own = (key: HealthcheckField) => !h.fromImage?.includes(key);
  return {
    test: own('test') ? h.test : undefined,
    interval: own('interval') ? formatDuration(h.interval) : undefined,
    timeout: own('timeout') ? formatDuration(h.timeout) : undefined,
    retries: own('retries') ? h.retries : undefined,
    start_period: own('start_period') ? formatDuration(h.start_period) : undefined,
    start_interval: formatDuration(h.start_interval),
  };
}

function serializeReady(r: ReadyCheck): Doc {
  const timing = { interval: formatDuration(r.interval), timeout: formatDuration(r.timeout), start_interval: formatDuration(r.start_interval) };
  switch (r.kind) {
    case 'tcp':
      return { tcp: r.port, ...timing };
    case 'http':
      return { http: { port: r.port, path: r.path, status: r.status }, ...timing };
    case 'log':
      return { log: r.pattern, ...timing };
    case 'exec':
      return { exec: r.command, ...timing };
    default: {
      const never: never = r;
      return never;
    }
  }
}

function restartText(r: RestartPolicy): string {
  return r.policy === 'on-failure' && r.max_retries !== undefined ? `on-failure:${r.max_retries}` : r.policy;
}

function serializeNetwork(n: Network, name: string | undefined): Doc {
  return compact({
    name,
    external: n.external || undefined,
    internal: n.internal || undefined,
    driver: n.driver,
    driver_opts: orNone(n.driver_opts),
    attachable: n.attachable || undefined,
    enable_ipv6: n.enable_ipv6 || undefined,
    ipam: n.ipam.length === 0 ? undefined : { config: n.ipam.map((p) => compact({ subnet: p.subnet, gateway: p.gateway, ip_range: p.ip_range, aux_addresses: orNone(p.aux_addresses) })) },
    labels: orNone(n.labels),
  });
}

/** A network's or volume's runtime name when it is not the one Compose would give it anyway. */
function customName(project: string, key: string, r: { name: string; external: boolean }): string | undefined {
  return r.name === (r.external ? key : `${project}_${key}`) ? undefined : r.name;
}

function mapEntries<T>(record: Record<string, T>, fn: (key: string, v: T) => unknown): Doc {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(k, v)]));
}

function serializeShip(s: Ship): Doc {
  if (s.embedded) return compact({ runtime: 'embedded', host: s.embedded.host });
  return compact({ docker: s.docker, tls: s.tls && compact({ ...s.tls }), manager: s.manager });
}

function mapValues<T>(record: Record<string, T>, fn: (v: T) => unknown): Doc {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]));
}

/** Drops undefined fields. */
function compact(obj: Doc): Doc {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

/** undefined for an empty list or mapping, so `compact` leaves it out. */
function orNone<T extends object>(value: T): T | undefined {
  return nonEmpty(value) ? value : undefined;
}

function nonEmpty(value: object): boolean {
  return Array.isArray(value) ? value.length > 0 : Object.keys(value).length > 0;
}

function escapeDollars(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('$', () => '$$'); // a function: in a replacement string "$$" means one $
  if (Array.isArray(value)) return value.map(escapeDollars);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeDollars(v)]));
  return value;
}

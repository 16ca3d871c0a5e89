/**
 * Checks that need the whole normalized stack: names that must exist (services, networks,
 * volumes, ships), images to run, health conditions that can be met, and host ports that do not
 * clash. Dependency cycles are the planner's to find.
 */
import { mayHaveImageHealthcheck } from './image-health.js';
import type { Issues } from './issues.js';
import { DEFAULT_NETWORK, type PortMapping, type Service, type Stack } from './model.js';
import { didYouMean } from './suggest.js';

/** What the checks need besides the stack. */
export interface ReferenceOptions {
  /** Enabled profiles: host ports only clash between services that can run together. */
  profiles: readonly string[];
  /** Key path each port was written at. */
  portOrigins: ReadonlyMap<PortMapping, string>;
}

/** Adds every reference problem of the stack to `issues`. */
export function checkReferences(stack: Stack, issues: Issues, opts: ReferenceOptions): void {
  const names = Object.keys(stack.services);
  const noService = (name: string) => `no service named "${name}"${didYouMean(name, names)}`;
  const containerNames = new Map<string, string>();
  checkShips(stack, issues);

  for (const [name, s] of Object.entries(stack.services)) {
    const base = `services.${name}`;
    if (s.image === undefined && s.build === undefined) issues.key(base, 'needs an image or a build');
    if (s.pull_policy === 'build' && s.build === undefined) issues.value(`${base}.pull_policy`, 'pull_policy "build" needs a build: section');

    for (const [dep, d] of Object.entries(s.depends_on)) {
      const target = stack.services[dep];
      if (!target) {
        if (d.required) issues.key(`${base}.depends_on.${dep}`, noService(dep));
      } else if (d.condition === 'service_healthy' && (!target.healthcheck || target.healthcheck.test[0] === 'NONE') && !target.ready && !mayHaveImageHealthcheck(target)) {
        issues.value(
          `${base}.depends_on.${dep}.condition`,
          `service_healthy needs "${dep}" to have a healthcheck or a ready check, and it has neither (its image is ${target.image ?? 'none'}, which has no HEALTHCHECK; add one to "${dep}", or use service_started)`,
        );
      }
    }
    s.links.forEach((l, i) => stack.services[l.service] || issues.value(`${base}.links[${i}]`, noService(l.service)));
    s.volumes_from.forEach((v, i) => stack.services[v.service] || issues.value(`${base}.volumes_from[${i}]`, noService(v.service)));

    const networks = Object.keys(stack.networks);
    for (const net of Object.keys(s.networks)) {
      if (net !== DEFAULT_NETWORK && !stack.networks[net]) {
        issues.key(`${base}.networks.${net}`, `no network named "${net}"${didYouMean(net, networks) || ' (declare it under the top-level networks:)'}`);
      }
    }
    const volumes = Object.keys(stack.volumes);
    s.volumes.forEach((m, i) => {
      if (m.type === 'volume' && m.source !== undefined && !stack.volumes[m.source]) {
        const hint = didYouMean(m.source, volumes) || ` (declare it under the top-level volumes:, or write a host path as ./${m.source})`;
        issues.value(`${base}.volumes[${i}]`, `no volume named "${m.source}"${hint}`);
      }
    });
    if (s.ship !== undefined && !stack.ships[s.ship]) {
      issues.value(`${base}.ship`, `no ship named "${s.ship}"${didYouMean(s.ship, Object.keys(stack.ships)) || ' (declare it under the top-level ships:)'}`);
    }

    if (s.container_name !== undefined) {
      if (s.replicas > 1) issues.value(`${base}.container_name`, `a fixed container name cannot be shared by ${s.replicas} replicas; remove container_name`);
      const other = containerNames.get(s.container_name);
      if (other) issues.value(`${base}.container_name`, `container name "${s.container_name}" is already used by service "${other}"`);
      else containerNames.set(s.container_name, name);
    }
  }
  checkPorts(stack, issues, opts);
}

/** A ship is a Docker engine (`docker:`) or an embedded runtime (`runtime: embedded`, `host:`), and one stack's ships are all of one kind. */
function checkShips(stack: Stack, issues: Issues): void {
  const ships = Object.values(stack.ships);
  for (const ship of ships) {
    const base = `ships.${ship.name}`;
    if (ship.embedded && ship.docker !== '') issues.key(`${base}.docker`, 'an embedded ship runs hafen\'s own runtime, not a Docker engine: remove docker:, or runtime: embedded');
    else if (ship.embedded && ship.tls) issues.key(`${base}.tls`, 'an embedded ship is reached over ssh, which needs no tls: remove it');
    else if (!ship.embedded && ship.docker === '') issues.key(base, 'needs docker: (a Docker engine\'s address), or runtime: embedded (with host: ssh://… for another Linux host)');
    if (ship.embedded?.host !== undefined && !/^ssh:\/\/(?:[^@/:\s]+@)?(\[[0-9a-fA-F:]+\]|[^@/:\s[\]]+)(?::\d{1,5})?\/?$/.test(ship.embedded.host)) {
      issues.value(`${base}.host`, `expected ssh://[user@]host[:port], not ${JSON.stringify(ship.embedded.host)}`);
    }
  }
  const embedded = ships.filter((s) => s.embedded);
  if (embedded.length > 0 && embedded.length < ships.length) {
    issues.value(`ships.${embedded[0]!.name}.runtime`, `the ships of one stack are all Docker engines or all embedded runtimes; ${ships.filter((s) => !s.embedded).map((s) => s.name).join(', ')} ${ships.length - embedded.length === 1 ? 'is a Docker engine' : 'are Docker engines'}`);
  }
}

interface Published {
  service: string;
  port: PortMapping;
  at: string;
}

/** Fixed host ports: no two on the same address, port and protocol. */
function checkPorts(stack: Stack, issues: Issues, opts: ReferenceOptions): void {
  const taken = new Map<string, Published[]>();
  for (const [name, s] of Object.entries(stack.services)) {
    if (!isActive(s, opts.profiles)) continue;
    for (const port of s.ports) {
      if (port.published === undefined) continue;
      const at = opts.portOrigins.get(port) ?? `services.${name}.ports`;
      // A fixed port shared by replicas is a runtime's matter (Swarm publishes it on every node): planner/networking-support.ts.
      if (s.replicas > 1) continue;
      const key = `${port.protocol}/${port.published}`;
      const earlier = taken.get(key) ?? [];
      const clash = earlier.find((e) => overlaps(e.port.host_ip, port.host_ip));
      if (clash) {
        const line = stack.source.locate(clash.at).line;
        const by = clash.service === name ? 'this service' : `service "${clash.service}"`;
        const mine = address(port);
        const theirs = address(clash.port);
        issues.value(at, mine === theirs ? `host port ${mine} is already published by ${by} (line ${line})` : `host port ${mine} clashes with ${theirs} published by ${by} (line ${line})`);
      }
      earlier.push({ service: name, port, at });
      taken.set(key, earlier);
    }
  }
}

/** A service with no profiles always runs; one with profiles only when one of them is enabled. */
function isActive(s: Service, profiles: readonly string[]): boolean {
  return s.profiles.length === 0 || s.profiles.some((p) => profiles.includes(p));
}

/** Two listen addresses collide when equal or when either is a wildcard. */
function overlaps(a: string, b: string): boolean {
  const wildcard = (ip: string) => ip === '0.0.0.0' || ip === '::';
  return a === b || wildcard(a) || wildcard(b);
}

function address(p: PortMapping): string {
  const ip = p.host_ip.includes(':') ? `[${p.host_ip}]` : p.host_ip;
  return `${ip}:${p.published}/${p.protocol}`;
}


/**
 * A stack spread over hafen's embedded runtime on this machine and on other Linux hosts over ssh
 * (issue 19): `ships:` entries with `runtime: embedded` and `host: ssh://…` (without `host:`, this
 * machine), `ship:` per service. This machine's project (its supervisor) is the default ship; each
 * other host is opened as HAFEN_HOST would open it (open-remote.ts), one connection per host.
 *
 * A dependent here on a service of another host gets `<DEP>_HOST` and `<DEP>_PORT`, as Docker
 * ships do. Containers of the embedded runtime reach no address but their networks' and the host's
 * own address on their bridges (they have no default route), so the dependency's published port is
 * forwarded over ssh to a port of this machine listening on the address of each bridge of the
 * dependent's networks (or on loopback for `network_mode: host`; the networks of X for
 * `service:X`): a forwarder per dependent container (`<project>.<dep>.for-<container>`, stopped by
 * `down`), and `<DEP>_HOST` is a name in its /etc/hosts for the first of those addresses (the
 * address itself with `service:X`, whose /etc/hosts it shares). The other way round (a service on
 * another host depending on one here) goes through a reverse link (reverse-link.ts): `ssh -R` to
 * that host's loopback and a relay there on the dependent's bridges, so `<DEP>_HOST` there is again
 * a name for the relay's address; a dependency on a third host is first forwarded here (on
 * loopback), then linked back the same way. Either way the dependent is created only once its
 * dependency has started (and passed its gate: ShipsRuntime creates it on its start).
 */
import type { Stack } from '../config/model.js';
import { StackError } from '../errors.js';
import type { OpenOptions, ProjectRuntime } from '../orchestrator/project-runtime.js';
import { bridgeName } from '../runtime/embedded/link-names.js';
import { Label, type ContainerInfo, type ContainerSpec, type Runtime } from '../runtime/runtime.js';
import { DEFAULT_SHIP, ShipsRuntime, type ShipEngine, type ShipReach } from '../runtime/ships/ships-runtime.js';
import { holdSupervisor } from '../supervisor/supervisor-hold.js';
import { openRemoteProject } from './open-remote.js';
import { interfaceAddress } from './bridge-address.js';
import { localStateRoot } from './local-state.js';
import { startForwarder } from './port-forwarder.js';
import type { RemoteProject } from './remote-lifecycle.js';
import { startReverseLink, type LinkedPort } from './reverse-link.js';
import type { RemoteRuntime } from './remote-runtime.js';
import { parseSshTarget } from './ssh-target.js';

/** Whether the stack's ships are embedded runtimes. */
export function hasEmbeddedShips(stack: Stack | undefined): stack is Stack {
  return stack !== undefined && Object.values(stack.ships).some((s) => s.embedded);
}

/**
 * Whether every service of `stack` runs on an embedded ship on another host: then nothing of the
 * project is here, and this machine needs no runtime of its own (a CLI on macOS or Windows).
 */
export function allOnOtherHosts(stack: Stack): boolean {
  const services = Object.values(stack.services);
  return services.length > 0 && services.every((s) => s.ship !== undefined && stack.ships[s.ship]?.embedded?.host !== undefined);
}

/** The name a dependent here resolves to this machine's address on its bridge, for the services of ship `ship`. */
export function shipHostName(ship: string): string {
  return `${ship}.ship.hafen.internal`;
}

/** The first running container of `service` publishing a tcp port, among `containers`. */
function publisher(containers: readonly ContainerInfo[]): ContainerInfo | undefined {
  return containers.find((c) => c.state === 'running' && c.ports.some((p) => p.protocol === 'tcp' && p.hostPort > 0));
}

/** The remote host of ship engine `e`, when it is one (this machine's is not). */
type RemoteOf = (e: ShipEngine) => RemoteProject | undefined;

/**
 * Where a dependent's containers connect to their host: the bridges of its networks (each gateway
 * answers, whichever the dependent's own code picks), or the host's loopback (`network_mode:
 * host`). `ownHosts`: whether it has an /etc/hosts of its own (not with `service:X`, whose it shares).
 */
type DependentNet = { kind: 'host' } | { kind: 'bridges'; bridges: string[]; ownHosts: boolean };

/** `dependent`'s networks, asked of `runtime` (its ship's) for the container whose namespace it joins (network_mode service:X). */
async function dependentNet(project: string, service: string, dependent: ContainerSpec, runtime: Runtime): Promise<DependentNet> {
  const mode = dependent.networkMode;
  let networks = dependent.networks.map((n) => n.name);
  if (mode?.kind === 'host') return { kind: 'host' };
  if (mode?.kind === 'container') {
    const joined = await runtime.inspectContainer(mode.container);
    const addresses = joined?.addresses ?? {};
    if (addresses.host === '127.0.0.1' && Object.keys(addresses).length === 1) return { kind: 'host' };
    networks = Object.keys(addresses);
  }
  if (mode?.kind === 'none' || networks.length === 0) {
    throw new StackError('E_REMOTE', `service ${dependent.labels[Label.service]} depends on ${service} on another host: it reaches no network of the stack (network_mode ${mode?.kind ?? 'none'}${mode?.kind === 'container' ? ` ${mode.container}` : ''})`, 2);
  }
  return { kind: 'bridges', bridges: networks.map((n) => bridgeName(project, n)), ownHosts: mode === undefined };
}

/** `<DEP>_HOST` (a name in the dependent's /etc/hosts for `address`, or the address where it shares another's) and the ports. */
function reached(ship: string, net: DependentNet, address: string, ports: { target: number; port: number }[]): ShipReach {
  if (net.kind === 'bridges' && !net.ownHosts) return { host: address, ports };
  const host = shipHostName(ship);
  return { host, ports, extraHosts: { [host]: address } };
}

/** The name of the forwarder (or reverse link) serving `dependent`'s container with `service`: one each, so none restarts another's. */
function linkName(project: string, service: string, dependent: ContainerSpec): string {
  return `${project}.${service}.for-${dependent.name}`;
}

/**
 * `ports` (answering on this machine) made reachable from `dependent` on remote host `to`: a
 * reverse link whose relay listens there on each bridge of the dependent's networks (none on the
 * host's network: the link's loopback port serves it). `ship` names the dependency's ship in `<DEP>_HOST`.
 */
async function reachFromRemote(to: RemoteProject, project: string, service: string, ship: string, ports: (LinkedPort & { target: number })[], dependent: ContainerSpec): Promise<ShipReach> {
  const net = await dependentNet(project, service, dependent, to.remote);
  if (ports.length === 0) return reached(ship, net, '127.0.0.1', []);
  const link = await startReverseLink(to.target, to.root, linkName(project, service, dependent), ports, net.kind === 'host' ? [] : net.bridges);
  return reached(ship, net, link.addresses[0] ?? '127.0.0.1', ports.map((p, i) => ({ target: p.target, port: link.ports[i]! })));
}

/** The addresses of this machine where `net`'s containers connect: each bridge's, or loopback. */
function listenAddresses(service: string, dependent: ContainerSpec, net: DependentNet): string[] {
  if (net.kind === 'host') return ['127.0.0.1'];
  return net.bridges.map((bridge) => {
    const address = interfaceAddress(bridge);
    if (address === undefined) throw new StackError('E_REMOTE', `service ${dependent.labels[Label.service]} depends on ${service} on another host: its network's bridge ${bridge} has no address here`, 1);
    return address;
  });
}

/** Where dependents reach a remote ship's services: a forwarder of their own here, listening where this machine's containers connect (relayed on when the dependent is on a third host). */
function remoteShip(ship: string, opened: RemoteProject, remoteOf: RemoteOf): ShipEngine {
  return {
    runtime: opened.remote,
    host: ship,
    // A dependent there waiting for one here: its supervisor there must not leave meanwhile.
    holdWhilePending: () => opened.remote.holdSupervisor(),
    async reach(project, service, from, dependent) {
      const containers = await opened.remote.remoteContainers({ [Label.project]: project, [Label.service]: service });
      const running = publisher(containers);
      const elsewhere = remoteOf(from);
      // For a dependent on a third host the forward here is only the first leg: loopback suffices.
      const net = elsewhere ? undefined : await dependentNet(project, service, dependent, from.runtime);
      // Here the forward listens only where the dependent's containers connect (its bridges' addresses, or loopback), never every address.
      const bind = net ? listenAddresses(service, dependent, net) : ['127.0.0.1'];
      const forwards = await startForwarder(opened.target, opened.root, linkName(project, service, dependent), running ? [running] : [], bind);
      const ports = (running?.ports ?? []).flatMap((p) => {
        const f = forwards.find((f) => f.remote.hostPort === p.hostPort && f.remote.hostIp === p.hostIp);
        return f && p.protocol === 'tcp' ? [{ target: p.target, host: '127.0.0.1', port: f.local.hostPort }] : [];
      });
      if (elsewhere) return reachFromRemote(elsewhere, project, service, ship, ports, dependent);
      return reached(ship, net!, bind[0]!, ports.map(({ target, port }) => ({ target, port })));
    },
  };
}

/** This machine's project as the default ship (`ship`: its name in `<DEP>_HOST` elsewhere). */
function localShip(local: ProjectRuntime, project: string, ship: string, remoteOf: RemoteOf): ShipEngine {
  return {
    runtime: local.runtime,
    host: 'embedded',
    holdWhilePending: () => holdSupervisor(local, project),
    async reach(project, service, from, dependent) {
      const to = remoteOf(from);
      if (!to) throw new Error(`ship ${ship} asked how it reaches itself`);
      const running = publisher(await local.runtime.listContainers({ [Label.project]: project, [Label.service]: service }));
      const ports = (running?.ports ?? [])
        .filter((p) => p.protocol === 'tcp' && p.hostPort > 0)
        .map((p) => ({ target: p.target, host: p.hostIp === '' || p.hostIp === '0.0.0.0' || p.hostIp === '::' ? '127.0.0.1' : p.hostIp, port: p.hostPort }));
      return reachFromRemote(to, project, service, ship, ports, dependent);
    },
  };
}

/**
 * `local` (this machine's project) with the stack's other hosts joined as ships: one runtime over
 * all of them. Closing it closes every connection. Without `local` (allOnOtherHosts), nothing runs
 * here: `root` is this machine's bookkeeping root (local-state.ts).
 */
export async function openEmbeddedShips(local: ProjectRuntime | undefined, stack: Stack, options: OpenOptions): Promise<ProjectRuntime> {
  // Ships on one host share its connection (one remote project per host): keyed by the first ship naming it.
  const keyOfHost = new Map<string, string>();
  const shipKey = new Map<string, string>();
  for (const ship of Object.values(stack.ships)) {
    const host = ship.embedded?.host;
    if (host === undefined) shipKey.set(ship.name, DEFAULT_SHIP);
    else shipKey.set(ship.name, keyOfHost.get(host) ?? (keyOfHost.set(host, ship.name), ship.name));
  }
  const placement = Object.fromEntries(Object.values(stack.services).map((s) => [s.name, s.ship === undefined ? DEFAULT_SHIP : (shipKey.get(s.ship) ?? DEFAULT_SHIP)]));
  const used = new Set(Object.values(placement));
  const remotes: (RemoteProject & { ship: string })[] = [];
  try {
    for (const [host, key] of keyOfHost) {
      if (!used.has(key)) continue;
      const target = parseSshTarget(host, `ships.${key}.host`);
      const opened = await openRemoteProject(target, stack.name, options);
      remotes.push({ ship: key, remote: opened.remote as RemoteRuntime, target, root: opened.root });
    }
  } catch (err) {
    await Promise.all([local?.close(), ...remotes.map((r) => r.remote.close())]);
    throw err;
  }
  const remoteOfEngine = new Map<ShipEngine, RemoteProject>();
  const remoteOf: RemoteOf = (e) => remoteOfEngine.get(e);
  // This machine's name in `<DEP>_HOST` on other hosts: its first ship without `host:`.
  const hereName = Object.values(stack.ships).find((s) => s.embedded && s.embedded.host === undefined)?.name ?? 'local';
  const engines = new Map<string, ShipEngine>(local ? [[DEFAULT_SHIP, localShip(local, stack.name, hereName, remoteOf)]] : []);
  for (const r of remotes) {
    const engine = remoteShip(r.ship, r, remoteOf);
    remoteOfEngine.set(engine, r);
    engines.set(r.ship, engine);
  }
  const runtime = new ShipsRuntime('embedded', engines, placement, stack);
  return {
    runtime,
    root: local?.root ?? options.root ?? localStateRoot(),
    ...(local?.supervisor ? { supervisor: local.supervisor } : {}),
    ...(local ? {} : { nothingHere: true }),
    ships: remotes.map(({ remote, target, root }) => ({ remote, target, root })),
    close: () => runtime.close(),
  };
}

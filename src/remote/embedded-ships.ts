/**
 * A stack spread over hafen's embedded runtime on this machine and on other Linux hosts over ssh
 * (issue 19): `ships:` entries with `runtime: embedded` and `host: ssh://…` (without `host:`, this
 * machine), `ship:` per service. This machine's project (its supervisor) is the default ship; each
 * other host is opened as HAFEN_HOST would open it (open-remote.ts), one connection per host.
 *
 * A dependent here on a service of another host gets `<DEP>_HOST` and `<DEP>_PORT`, as Docker
 * ships do. Containers of the embedded runtime reach no address but their networks' and the host's
 * own address on their bridge (they have no default route), so the dependency's published port is
 * forwarded over ssh to a port of this machine listening on all its addresses (`<project>.<dep>`'s
 * forwarder, stopped by `down`), and `<DEP>_HOST` is a name for the host's address on the
 * dependent's bridge (`extra_hosts: NAME:host-gateway`). The other way round (a service on another
 * host depending on one here, or on a third host) is refused when the dependent is created.
 */
import type { Stack } from '../config/model.js';
import type { OpenOptions, ProjectRuntime } from '../orchestrator/project-runtime.js';
import { Label } from '../runtime/runtime.js';
import { DEFAULT_SHIP, ShipsRuntime, type ShipEngine } from '../runtime/ships/ships-runtime.js';
import { SupervisorClient } from '../supervisor/client.js';
import { supervisorSocketPath } from '../supervisor/socket-path.js';
import { openRemoteProject } from './open-remote.js';
import { startForwarder } from './port-forwarder.js';
import type { RemoteProject } from './remote-lifecycle.js';
import type { RemoteRuntime } from './remote-runtime.js';
import { parseSshTarget } from './ssh-target.js';

/** Whether the stack's ships are embedded runtimes. */
export function hasEmbeddedShips(stack: Stack | undefined): stack is Stack {
  return stack !== undefined && Object.values(stack.ships).some((s) => s.embedded);
}

/** The name a dependent here resolves to this machine's address on its bridge, for the services of ship `ship`. */
export function shipHostName(ship: string): string {
  return `${ship}.ship.hafen.internal`;
}

/** Where this machine's dependents reach a remote ship's services: its own forwarder, listening here. */
function remoteShip(ship: string, opened: RemoteProject, isLocal: (e: ShipEngine) => boolean): ShipEngine {
  return {
    runtime: opened.remote,
    host: ship,
    unreachableFrom: (from) => (isLocal(from) ? undefined : 'a dependent on another host than this machine reaches no service of a third host yet; put the two on one ship, or the dependent here'),
    async reach(project, service) {
      const containers = await opened.remote.remoteContainers({ [Label.project]: project, [Label.service]: service });
      const running = containers.filter((c) => c.state === 'running' && c.ports.some((p) => p.protocol === 'tcp')).slice(0, 1);
      const forwards = await startForwarder(opened.target, opened.root, `${project}.${service}`, running, '0.0.0.0');
      const ports = (running[0]?.ports ?? []).flatMap((p) => {
        const f = forwards.find((f) => f.remote.hostPort === p.hostPort && f.remote.hostIp === p.hostIp);
        return f && p.protocol === 'tcp' ? [{ target: p.target, port: f.local.hostPort }] : [];
      });
      const name = shipHostName(ship);
      return { host: name, ports, extraHosts: { [name]: 'host-gateway' } };
    },
  };
}

/** This machine's project as the default ship: services elsewhere cannot reach it yet. */
function localShip(local: ProjectRuntime, project: string): ShipEngine {
  return {
    runtime: local.runtime,
    host: 'embedded',
    // A supervisor leaves when nothing runs and its command only follows events; a dependent here
    // waiting for a dependency elsewhere is that case, so a second connection (which counts as a
    // command at work) is held meanwhile. Closing it lets the supervisor look again.
    holdWhilePending() {
      if (!local.supervisor) return () => {};
      let released = false;
      let held: SupervisorClient | undefined;
      void SupervisorClient.connect(supervisorSocketPath(local.root, project), local.root).then(
        (client) => (released ? void client.close() : (held = client)),
        () => undefined, // gone already: the next call says so
      );
      return () => {
        released = true;
        void held?.close();
      };
    },
    unreachableFrom: () => "a service on another host reaches no service of this machine yet (its containers reach only their own host); put the dependency on the dependent's ship",
    reach: () => Promise.reject(new Error('unreachable: checked by unreachableFrom')),
  };
}

/**
 * `local` (this machine's project) with the stack's other hosts joined as ships: one runtime over
 * all of them. Closing it closes every connection.
 */
export async function openEmbeddedShips(local: ProjectRuntime, stack: Stack, options: OpenOptions): Promise<ProjectRuntime> {
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
    await Promise.all([local.close(), ...remotes.map((r) => r.remote.close())]);
    throw err;
  }
  const here = localShip(local, stack.name);
  const engines = new Map<string, ShipEngine>([[DEFAULT_SHIP, here]]);
  for (const r of remotes) engines.set(r.ship, remoteShip(r.ship, r, (e) => e === here));
  const runtime = new ShipsRuntime('embedded', engines, placement, stack);
  return {
    runtime,
    root: local.root,
    ...(local.supervisor ? { supervisor: local.supervisor } : {}),
    ships: remotes.map(({ remote, target, root }) => ({ remote, target, root })),
    close: () => runtime.close(),
  };
}

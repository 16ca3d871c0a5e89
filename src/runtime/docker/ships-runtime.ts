/**
 * Several Docker engines as one runtime, maestro-ng's "ships" (the runtime over them:
 * ../ships/ships-runtime.ts). A dependent on another ship reaches its dependency at that ship's
 * address (`<DEP>_HOST`) and the dependency's published port (`<DEP>_PORT`), as maestro-ng does.
 * Ports a dependent on another machine should reach must be published on a reachable address
 * (`"0.0.0.0:5432:5432"`).
 */
import os from 'node:os';
import type { Stack } from '../../config/model.js';
import { Label } from '../runtime.js';
import { DEFAULT_SHIP, ShipsRuntime, type ShipEngine } from '../ships/ships-runtime.js';
import { DockerRuntime } from './docker-runtime.js';

/** One Docker engine as a ship: dependents elsewhere reach its published ports at `address`. */
function dockerShip(runtime: DockerRuntime, address: string): ShipEngine {
  return {
    runtime,
    host: runtime.host,
    async reach(project, service) {
      const containers = await runtime.listContainers({ [Label.project]: project, [Label.service]: service });
      const ports = containers.find((c) => c.state === 'running' && c.ports.length > 0)?.ports ?? containers.find((c) => c.ports.length)?.ports ?? [];
      return { host: address, ports: ports.map((p) => ({ target: p.target, port: p.hostPort })) };
    },
    cleanupProject: (project, opts) => runtime.cleanupProject(project, opts),
  };
}

/** The Docker ships the stack's services use, each connected; the default engine when some service names none. */
export function dockerShips(stack: Stack, defaultEngine?: DockerRuntime): ShipsRuntime {
  const placement = Object.fromEntries(Object.values(stack.services).map((s) => [s.name, s.ship ?? DEFAULT_SHIP]));
  const engines = new Map<string, ShipEngine>();
  for (const key of new Set(Object.values(placement))) {
    if (key === DEFAULT_SHIP) {
      const runtime = defaultEngine ?? new DockerRuntime();
      engines.set(key, dockerShip(runtime, shipAddress(runtime.host)));
      continue;
    }
    const ship = stack.ships[key]!;
    const runtime = new DockerRuntime({ docker: ship.docker, ship: key, baseDir: stack.dir, ...(ship.tls ? { tls: ship.tls } : {}) });
    engines.set(key, dockerShip(runtime, shipAddress(ship.docker)));
  }
  return new ShipsRuntime('docker', engines, placement, stack);
}

/**
 * Where other ships reach an engine's published ports: the host of a tcp:// or ssh:// address; for a
 * local socket, this machine's first external IPv4 address (containers elsewhere cannot use 127.0.0.1).
 */
export function shipAddress(docker: string): string {
  const url = new URL(docker);
  if (url.protocol !== 'unix:' && url.hostname) return url.hostname;
  const external = Object.entries(os.networkInterfaces())
    .filter(([name]) => !/^(docker|br-|veth|hafen)/.test(name))
    .flatMap(([, addrs]) => addrs ?? [])
    .find((a) => a.family === 'IPv4' && !a.internal);
  return external?.address ?? '127.0.0.1';
}

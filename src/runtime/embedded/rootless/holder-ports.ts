/**
 * A project's published ports for a user without root (issue 17): what RuntimeContext uses in place
 * of root's ProxySet. The ports are bound on the host by the user's holder's network keeper
 * (./network-keeper.ts), reached through RootlessPortSet at the control socket its record names,
 * in the holder's runtime folder. The keeper is started by the command that brought the holder up
 * (rerunInUserNamespace with `network`); when it does not run, publishing fails in one line, and
 * removing ports is a no-op (a keeper that went took its ports along).
 */
import { RuntimeError } from '../../../errors.js';
import type { PublishedPort } from '../ports/proxy-set.js';
import type { ProxySpec } from '../ports/proxy-spec.js';
import { holderNetworkDir } from './network-attach.js';
import { keeperRunning } from './network-lifecycle.js';
import { RootlessPortSet } from './network-port-set.js';
import { readNetworkRecord, type RootlessNetworkRecord } from './network-record.js';
import { userRuntimeDir } from './rootless-paths.js';

/** What a runtime needs of a project's published ports, root's (ProxySet) or the keeper's. */
export interface ProjectPorts {
  start(specs: readonly ProxySpec[]): Promise<PublishedPort[]>;
  stop(container?: string): Promise<void>;
}

/** The running keeper's record of the user's holder (runtime folder `runtimeDir`), or undefined. */
export function runningNetwork(runtimeDir: string = userRuntimeDir()): RootlessNetworkRecord | undefined {
  const record = readNetworkRecord(holderNetworkDir(runtimeDir));
  return record && keeperRunning(record) ? record : undefined;
}

/** The published ports of one project, held by the holder's keeper. */
export class HolderPortSet implements ProjectPorts {
  private set: RootlessPortSet | undefined;
  private socket: string | undefined;

  constructor(
    readonly project: string,
    private readonly runtimeDir: string = userRuntimeDir(),
  ) {}

  /** The keeper's client, for the keeper running now (a new one after the holder was started again). */
  private keeper(): RootlessPortSet | undefined {
    const record = runningNetwork(this.runtimeDir);
    if (!record) return undefined;
    if (this.set && this.socket === record.controlSocket) return this.set;
    void this.set?.close();
    this.socket = record.controlSocket;
    return (this.set = new RootlessPortSet(this.project, record.controlSocket));
  }

  async start(specs: readonly ProxySpec[]): Promise<PublishedPort[]> {
    const keeper = this.keeper();
    if (!keeper) {
      throw new RuntimeError(
        `project ${this.project}`,
        `cannot publish ports: the rootless network keeper of your namespace holder is not running (no ${holderNetworkDir(this.runtimeDir)}/network.json of a live keeper); \`stack down\` your projects and \`up\` again`,
      );
    }
    return keeper.start(specs);
  }

  async stop(container?: string): Promise<void> {
    await this.keeper()?.stop(container);
  }

  /** Closes the connection to the keeper; the ports stay with it (a new supervisor finds them). */
  async close(): Promise<void> {
    await this.set?.close();
    this.set = undefined;
  }
}

/**
 * What the container operations share: the state root, the image store, the Ipam, each project's
 * ledger and port proxies (owned by this runtime instance), the debug log and a few caches.
 */
import { detectCgroups, type CgroupLayout } from '../cgroups/index.js';
import { delegatedLayout } from '../rootless/rootless-cgroups.js';
import { isRootless } from '../rootless/user-namespace.js';
import { HolderPortSet, type ProjectPorts } from '../rootless/holder-ports.js';
import type { ResolvedUser } from '../launcher/passwd.js';
import type { Ledger } from '../ledger/ledger.js';
import type { DebugLog, Ipam } from '../network/index.js';
import { ProxySet } from '../ports/index.js';
import { openProjectLedger } from '../state/index.js';
import type { Store } from '../store/index.js';

export class RuntimeContext {
  private readonly ledgers = new Map<string, Ledger>();
  private readonly proxySets = new Map<string, ProxySet | HolderPortSet>();
  private layout: CgroupLayout | undefined;
  /** What never changes for an image digest: its layer folders (top-most first), users resolved in it. */
  readonly cache = { layers: new Map<string, string[]>(), users: new Map<string, ResolvedUser>() };

  constructor(
    /** HAFEN_ROOT. */
    readonly root: string,
    readonly store: Store,
    readonly ipam: Ipam,
    readonly log: DebugLog,
  ) {}

  /** The ledger of a project (its state folder made when missing). */
  ledger(project: string): Ledger {
    let l = this.ledgers.get(project);
    if (!l) this.ledgers.set(project, (l = openProjectLedger(this.root, project)));
    return l;
  }

  /** The published ports of a project: proxies in this process (root), or the rootless holder's keeper's (issue 17). */
  proxies(project: string): ProjectPorts {
    let p = this.proxySets.get(project);
    if (!p) this.proxySets.set(project, (p = isRootless() ? new HolderPortSet(project) : new ProxySet(project, { log: this.log })));
    return p;
  }

  /**
   * Stops the ports of `project` (its cleanup) and forgets its handles. With no project (this
   * runtime closing), root's proxies stop with it, while the keeper keeps a rootless project's ports
   * for the containers still running (the connection to it is closed).
   */
  async release(project?: string): Promise<void> {
    const projects = project === undefined ? [...this.proxySets.keys()] : [project];
    await Promise.all(
      projects.map(async (p) => {
        // A rootless project's cleanup asks the keeper even when this process published nothing (a supervisor that died did).
        const set = this.proxySets.get(p) ?? (project !== undefined && isRootless() ? new HolderPortSet(p) : undefined);
        if (!(set instanceof HolderPortSet)) return set?.stop();
        try {
          if (project !== undefined) await set.stop();
        } finally {
          await set.close();
        }
      }),
    );
    for (const p of projects) {
      this.proxySets.delete(p);
      this.ledgers.delete(p);
    }
  }

  /** The host's cgroup hierarchies, detected once; for a user without root, only those delegated to it (issue 17). */
  cgroupLayout(): CgroupLayout {
    return (this.layout ??= isRootless() ? delegatedLayout(detectCgroups()) : detectCgroups());
  }
}

/** The reason in an error, without the resource prefix when it names `resource` already. */
export function reasonOf(err: unknown, resource: string): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.startsWith(`${resource}: `) ? message.slice(resource.length + 2) : message;
}

/**
 * Starts prepared at create time (issue 16): a container that `up` creates is launched at once as
 * far as it goes without running its command (start-container.ts, PreparedStart), so when its
 * dependencies are ready its start only publishes its ports, writes its state and says `go`. In a
 * chain of health-gated services that takes the launcher (namespaces, mounts, cgroup, veths) off
 * each link's critical path.
 *
 * Only for what cannot change between create and start: a container joining another's network,
 * IPC or PID namespace is prepared at its start (the other must be running then). A prepared start
 * is dropped (everything it made taken down; the container stays created) when anything else is
 * asked of the container first, when it has waited PREPARED_FOR_MS, and when the runtime closes;
 * its processes, cgroup and veths are in the ledger meanwhile, so a crash leaves nothing `down`
 * cannot find, and its launcher ends the container when the process holding it goes away.
 */
import type { ContainerRecord } from './container-record.js';
import type { RuntimeContext } from './runtime-context.js';
import { cancelStart, prepareStart, type PreparedStart } from './start-container.js';

/** How long a prepared start waits for its container's start before it is dropped. */
export const PREPARED_FOR_MS = 60_000;

/**
 * Preparations under way at once. A hundred containers created together would otherwise launch a
 * hundred at once (the kernel's network and mount locks make that slower than a few at a time); a
 * container whose start comes before its preparation began is started the usual way (the
 * executor bounds those).
 */
export const PREPARING_AT_ONCE = 2;

/** Whether a start of `record` can be prepared before it is asked for. */
export function preparable(record: ContainerRecord): boolean {
  const { spec } = record;
  const joins = (mode: unknown): boolean => typeof mode === 'object' && mode !== null;
  return record.state === 'created' && spec.networkMode?.kind !== 'container' && !joins(spec.ipc) && !joins(spec.pid);
}

/** The same record as far as a start reads it (records are rewritten, not mutated). */
function sameRecord(a: ContainerRecord, b: ContainerRecord): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

interface Entry {
  record: ContainerRecord;
  /** Once begun; resolves undefined when the preparation failed (it undid what it made; the start does it all again). */
  prepared?: Promise<PreparedStart | undefined>;
  timer: NodeJS.Timeout;
  project: string;
}

/** The starts prepared by one runtime instance, by container name. Callers hold the container's lock. */
export class PreparedStarts {
  private readonly byName = new Map<string, Entry>();
  /** Names waiting for a free slot, in the order they were created. */
  private readonly waiting: string[] = [];
  private preparing = 0;

  constructor(
    private readonly ctx: RuntimeContext,
    /** Runs `fn` with the container's lock held (the runtime's mutex). */
    private readonly locked: (name: string, fn: () => Promise<void>) => Promise<void>,
  ) {}

  /** Begins preparing the start of a container just created (not awaited: the create has returned). */
  begin(record: ContainerRecord): void {
    if (!preparable(record) || this.byName.has(record.name)) return;
    const timer = setTimeout(() => void this.locked(record.name, () => this.drop(record.name)).catch(() => undefined), PREPARED_FOR_MS);
    timer.unref();
    this.byName.set(record.name, { record, timer, project: record.project });
    this.waiting.push(record.name);
    this.next();
  }

  /** Begins waiting preparations while slots are free. */
  private next(): void {
    while (this.preparing < PREPARING_AT_ONCE && this.waiting.length > 0) {
      const entry = this.byName.get(this.waiting.shift()!);
      if (!entry || entry.prepared) continue;
      this.preparing++;
      const { record } = entry;
      entry.prepared = prepareStart(this.ctx, record)
        .catch((err: Error) => {
          this.ctx.log(`Preparing the start of container ${record.name} failed (its start does it again): ${err.message}`);
          return undefined;
        })
        .finally(() => {
          this.preparing--;
          this.next();
        });
    }
  }

  /** The prepared start of `record`, taken (undefined when there is none or it was made from another record, which is dropped). */
  async take(record: ContainerRecord): Promise<PreparedStart | undefined> {
    const entry = this.byName.get(record.name);
    if (!entry) return undefined;
    this.byName.delete(record.name);
    clearTimeout(entry.timer);
    const prepared = await entry.prepared; // undefined when it had not begun: started the usual way
    if (!prepared) return undefined;
    if (record.state === 'created' && sameRecord(prepared.record, record)) return prepared;
    await cancelStart(this.ctx, prepared);
    return undefined;
  }

  /** Drops the prepared start of `name`, if any. */
  async drop(name: string): Promise<void> {
    const entry = this.byName.get(name);
    if (!entry) return;
    this.byName.delete(name);
    clearTimeout(entry.timer);
    const prepared = await entry.prepared;
    if (prepared) await cancelStart(this.ctx, prepared);
  }

  /** Names of the containers with a prepared start (of `project`, or all). */
  names(project?: string): string[] {
    return [...this.byName].filter(([, e]) => project === undefined || e.project === project).map(([name]) => name);
  }
}

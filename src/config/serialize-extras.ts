/**
 * `stack config` output for secrets, configs and the service keys of service-extras.ts, in the
 * form that loads back to the same model. An `environment:` source prints the variable's name,
 * never its value.
 */
import type { FileObject, FileReference, Service } from './model.js';
import { formatDuration } from './units.js';

type Doc = Record<string, unknown>;

/** Top-level `secrets:` or `configs:`; undefined when there are none. */
export function serializeFileObjects(objects: Record<string, FileObject>): Doc | undefined {
  const entries = Object.entries(objects);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(
    entries.map(([key, o]) => [
      key,
      compact({
        name: o.name,
        file: o.file,
        environment: o.environment,
        content: o.content,
        external: o.external || undefined,
        labels: Object.keys(o.labels).length > 0 ? o.labels : undefined,
      }),
    ]),
  );
}

/** The service fields this area adds, ready to spread into the service's document. */
export function serializeServiceExtras(s: Service): Doc {
  const reservations = compact({ ...s.reservations });
  return compact({
    secrets: references(s.secrets),
    configs: references(s.configs),
    logging: s.logging && compact({ driver: s.logging.driver, options: Object.keys(s.logging.options).length > 0 ? s.logging.options : undefined }),
    annotations: Object.keys(s.annotations).length > 0 ? s.annotations : undefined,
    runtime: s.runtime,
    pull_policy: s.pull_policy === 'refresh' ? refreshText(s.pull_refresh_after ?? 0) : undefined,
    deploy: Object.keys(reservations).length > 0 ? { resources: { reservations } } : undefined,
  });
}

function references(refs: FileReference[]): Doc[] | undefined {
  if (refs.length === 0) return undefined;
  return refs.map((r) => compact({ source: r.source, target: r.target, uid: r.uid, gid: r.gid, mode: r.mode === undefined ? undefined : `0${r.mode.toString(8)}` }));
}

/** `daily`, `weekly`, else `every_<duration>`. */
function refreshText(ms: number): string {
  if (ms === 24 * 3_600_000) return 'daily';
  if (ms === 7 * 24 * 3_600_000) return 'weekly';
  return `every_${formatDuration(ms)}`;
}

function compact(obj: Doc): Doc {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

/**
 * `ipc`/`pid`/`uts` of a container as the launcher's namespace options: its own (new), the host's,
 * or a running container's, entered through its init's /proc/PID/ns/KIND.
 */
import { RuntimeError } from '../../../errors.js';
import type { NamespaceMode } from '../../runtime.js';
import type { NamespaceSpec } from '../launcher/spec.js';
import { processStartTime } from '../ledger/ledger.js';
import { projectsOf, readRecord } from './container-record.js';

/** The launcher's spec for `mode`: the other container must be running (its init the one its record names). */
export function namespaceSpec(root: string, project: string, kind: 'ipc' | 'pid', mode: NamespaceMode | undefined): NamespaceSpec {
  if (mode === undefined || mode === 'private' || mode === 'shareable') return 'new';
  if (mode === 'host') return 'host';
  if (mode === 'none') throw new RuntimeError('ipc', '"ipc: none" is not supported on the embedded runtime');
  const name = mode.container;
  const owner = readRecord(root, project, name) ? project : projectsOf(root, name)[0];
  const record = owner === undefined ? undefined : readRecord(root, owner, name);
  if (!record) throw new RuntimeError(`container ${name}`, `${kind}: no such container to share the ${kind} namespace of`);
  const run = record.run;
  if (!run || processStartTime(run.pid) !== run.startTime) {
    throw new RuntimeError(`container ${name}`, `${kind}: it is not running, so its ${kind} namespace cannot be shared (start it first)`);
  }
  return { join: `/proc/${run.pid}/ns/${kind}` };
}

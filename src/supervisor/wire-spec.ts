/**
 * A ContainerSpec across the supervisor's socket (0600, in the 0700 state folder). JSON would
 * print a secret's Sensitive data as "[hidden]", so the client spells it out in `text` and the
 * supervisor wraps it again before the runtime sees it; nothing else on the way logs a request.
 */
import { Sensitive } from '../config/model.js';
import type { ContainerFile, ContainerSpec } from '../runtime/runtime.js';

/** A file's data as it crosses the socket. */
type WireFileSource = ContainerFile['source'] | { kind: 'wire-data'; text: string };

/** The spec as the client sends it. */
export function specToWire(spec: ContainerSpec): ContainerSpec {
  if (!spec.files) return spec;
  const files = spec.files.map((f) => (f.source.kind === 'data' ? { ...f, source: { kind: 'wire-data', text: f.source.data.reveal() } as WireFileSource } : f));
  return { ...spec, files: files as ContainerFile[] };
}

/** The spec as the supervisor hands it to the runtime. */
export function specFromWire(spec: ContainerSpec): ContainerSpec {
  if (!spec.files) return spec;
  const files = spec.files.map((f) => {
    const source = f.source as WireFileSource;
    return source.kind === 'wire-data' ? { ...f, source: { kind: 'data' as const, data: new Sensitive(source.text) } } : f;
  });
  return { ...spec, files };
}

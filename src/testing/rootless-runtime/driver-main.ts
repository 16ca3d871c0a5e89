/**
 * The rootless runtime driver: `node dist/src/testing/rootless-runtime/driver-main.js`, started by a test as
 * the rootless test user (runtime-client.ts). Like the `stack` CLI, it first runs itself again inside
 * the user's namespaces (holder started when none runs; afterwards stopped when the user has no
 * project left), then serves an EmbeddedRuntime on HAFEN_ROOT over its stdin and stdout
 * (driver-wire.ts), so the conformance suite's runtime calls are made by a process of that user
 * inside its user namespace, as `stack` makes them. It exits when its stdin ends: the containers
 * stay, as they do when a CLI command ends.
 */
import { toWire } from '../../supervisor/protocol.js';
import { specFromWire } from '../../supervisor/wire-spec.js';
import { lineSplitter } from '../../supervisor/protocol.js';
import { needsUserNamespace, rerunInUserNamespace } from '../../runtime/embedded/rootless/enter-namespace.js';
import { allowUserNamespaceRerun } from '../../runtime/embedded/rootless/rerun-permission.js';
import type { ContainerSpec } from '../../runtime/runtime.js';
import { decodeArgs, type DriverRequest, type DriverResponse } from './driver-wire.js';

const say = (line: string): void => void process.stderr.write(`${line}\n`);

if (needsUserNamespace()) {
  allowUserNamespaceRerun(); // this driver stands in for the CLI, the one program allowed to
  // With the network, as the CLI's commands that start containers: the holder's keeper (slirp4netns,
  // the published ports' listeners) is started when none runs, else publishing a port has no keeper.
  await rerunInUserNamespace(say, { network: true });
}

// Loaded only inside the namespace: the runtime's module reads who it runs as.
const [{ EmbeddedRuntime }, { importBusyboxImage }, { openStore }] = await Promise.all([
  import('../../runtime/embedded/embedded-runtime.js'),
  import('../busybox-image.js'),
  import('../../runtime/embedded/store/index.js'),
]);
const runtime = new EmbeddedRuntime({ log: (line) => say(`driver +${Math.round(performance.now())}ms: ${line}`) });

const send = (r: DriverResponse): void => void process.stdout.write(`${JSON.stringify(r)}\n`);
const pending = new Map<number, AbortController>();

/** One call: the runtime's method (an async iterable's items sent one by one), or the driver's own. */
async function handle(id: number, method: string, args: unknown[], signal: AbortSignal): Promise<unknown> {
  switch (method) {
    case 'importBusybox':
      return importBusyboxImage(openStore(runtime.root));
    case 'cleanupProject':
      return runtime.cleanupProject(args[0] as string);
    case 'createContainer':
      return runtime.createContainer(specFromWire(args[0] as ContainerSpec));
    case 'close':
      return null; // the client's close ends stdin instead
  }
  const fn = (runtime as unknown as Record<string, unknown>)[method];
  if (typeof fn !== 'function') throw new Error(`the driver has no method ${method}`);
  const result: unknown = await (fn as (...a: unknown[]) => unknown).apply(runtime, args);
  if (result && typeof result === 'object' && Symbol.asyncIterator in result) {
    for await (const item of result as AsyncIterable<unknown>) {
      if (signal.aborted) break;
      send({ id, item });
    }
    return null;
  }
  return result;
}

process.stdin.on(
  'data',
  lineSplitter((line) => {
    const req = JSON.parse(line) as DriverRequest;
    if ('cancel' in req) return void pending.get(req.id)?.abort();
    const ac = new AbortController();
    pending.set(req.id, ac);
    const args = decodeArgs(req.args, (callback, value) => send({ id: req.id, callback, value }), ac.signal);
    handle(req.id, req.method, args, ac.signal)
      .then(
        (result) => send({ id: req.id, ok: true, result: result ?? null }),
        (err: unknown) => send({ id: req.id, ok: false, error: toWire(err) }),
      )
      .finally(() => pending.delete(req.id));
  }),
);
process.stdin.on('end', () => {
  for (const ac of pending.values()) ac.abort();
  void runtime.close().finally(() => process.exit(0));
});
send({ id: 0, ok: true, result: 'ready' });

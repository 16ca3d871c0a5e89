/**
 * The remote end of the ssh channel (issue 19): `hafen system dial-stdio` runs this on the remote
 * host with the channel as its stdin and stdout. It greets with its version, opens the project's
 * runtime there when asked (the project's supervisor, started when the command starts containers,
 * exactly as a local command would) and serves the Runtime's calls line by line. What a local
 * command does beside the supervisor (pulls, builds, logs, the ledger's cleanup) it does here, on
 * the host the containers are on. Nothing listens on a network port. When the channel goes (the
 * connection dropped), it lets go of the supervisor as a killed CLI would: the project stays for
 * the next `down`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StackError } from '../errors.js';
import type { ProjectRuntime } from '../orchestrator/project-runtime.js';
import type { BuildSpec, ContainerSpec, ExecOptions, LogOptions, Runtime } from '../runtime/runtime.js';
import { serveLineRequests } from '../supervisor/line-requests.js';
import { RUNTIME_METHODS } from '../supervisor/protocol.js';
import { holdSupervisor } from '../supervisor/supervisor-hold.js';
import { specFromWire } from '../supervisor/wire-spec.js';
import { version } from '../version.js';
import type { AgentMessage, AgentOpened, AgentRequest, RemoteProbe } from './agent-protocol.js';
import { ContextCache, type BlobPiece } from './context-cache.js';
import type { SentContext } from './context-manifest.js';
import type { BuildExtras } from './remote-build.js';

/** Serves the agent protocol on `input`/`output` until `input` ends; resolves once all is let go. */
export async function serveAgent(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  const send = (m: AgentMessage): void => {
    output.write(`${JSON.stringify(m)}\n`);
  };
  delete process.env.HAFEN_HOST; // this host's runtime is the one served; a HAFEN_HOST of the login shell must not send it further
  send({ hello: { version, uid: process.getuid?.() ?? -1, node: process.version, platform: `${process.platform}/${process.arch}` } });
  let opened: ProjectRuntime | undefined;
  let project = '';

  let cache: ContextCache | undefined;
  const runtime = (): Runtime => {
    if (!opened) throw new StackError('E_REMOTE', 'the remote agent was asked before the project was opened', 1);
    return opened.runtime;
  };
  /** This host's cache of build contexts, under the project's state root. */
  const contexts = (): ContextCache => (runtime(), (cache ??= new ContextCache(opened!.root)));

  const handle = async (method: string, args: unknown[], signal: AbortSignal, push: (item: unknown) => void): Promise<unknown> => {
    switch (method) {
      case 'open': {
        if (opened) throw new StackError('E_REMOTE', 'the project is open already', 1);
        project = args[0] as string;
        const o = (args[1] ?? {}) as { supervise?: boolean; strictLimits?: boolean };
        const said: string[] = [];
        const unfit = await unfitHost();
        if (unfit) throw new StackError('E_REMOTE', `the embedded runtime cannot run there: ${unfit}`, 2);
        const { openProjectRuntime } = await import('../orchestrator/project-runtime.js');
        opened = await openProjectRuntime(project, { runtime: 'embedded', supervise: o.supervise === true, say: (l) => said.push(l), ...(o.strictLimits ? { strictLimits: true } : {}) });
        return { said, supervised: opened.supervisor !== undefined } satisfies AgentOpened;
      }
      case 'createContainer':
        return runtime().createContainer(specFromWire(args[0] as ContainerSpec));
      case 'waitContainer':
        return runtime().waitContainer(args[0] as string, signal);
      case 'exec':
        return runtime().exec(args[0] as string, { ...(args[1] as ExecOptions), interactive: false });
      case 'removeImage':
        return runtime().removeImage(args[0] as string);
      case 'pullImage':
        return runtime().pullImage(args[0] as string, (line) => push(line), signal);
      case 'contextMissing':
        return contexts().missing(args[0] as string[]);
      case 'contextPut':
        contexts().put(args[0] as BlobPiece[]);
        return null;
      case 'buildImage':
        {
        const { buildFromSent } = await import('./context-build-end.js');
        return buildFromSent(runtime(), args[0] as BuildSpec, args[1] as SentContext | null, (args[2] ?? null) as BuildExtras | null, contexts, push, signal);
      }
      case 'logs':
        for await (const line of runtime().logs(args[0] as string, { ...(args[1] as LogOptions), signal })) push(line);
        return null;
      case 'events':
        for await (const event of runtime().events(args[0] as Record<string, string>, { signal, ...(args[1] !== null && args[1] !== undefined ? { since: args[1] as string | number } : {}) })) push(event);
        return null;
      case 'probe':
        return probe(args[0] as RemoteProbe, signal);
      case 'missingPaths':
        return (args[0] as string[]).filter((p) => !fs.existsSync(p));
      case 'makePaths': {
        // Bind sources `up` may make (short syntax, create_host_path), made here as it makes them on its own host.
        const missing = (args[0] as string[]).filter((p) => fs.lstatSync(p, { throwIfNoEntry: false }) === undefined);
        for (const p of missing) fs.mkdirSync(p, { recursive: true });
        return missing;
      }
      case 'holdSupervisor': {
        // Until cancelled: a dependent here waits for a dependency on another host (embedded-ships.ts).
        const release = holdSupervisor((runtime(), opened!), project);
        await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
        release();
        return null;
      }
      case 'shutdownSupervisor':
        await opened?.supervisor?.shutdown();
        return null;
      case 'cleanupProject': {
        const { cleanupProject } = await import('../orchestrator/down.js');
        await cleanupProject(opened?.root ?? (await import('../runtime/embedded/store/store-paths.js')).defaultRoot(), project, args[0] === true);
        return null;
      }
      default: {
        if (!(RUNTIME_METHODS as readonly string[]).includes(method)) throw new StackError('E_REMOTE', `the remote agent has no method ${method}`, 1);
        const r = runtime() as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
        return r[method]!.apply(r, args);
      }
    }
  };

  const requests = serveLineRequests<AgentRequest>({ send, itemKey: 'item', handle: (req, signal, push) => handle(req.method, req.args ?? [], signal, push) });
  input.on('data', requests.onData);
  await new Promise<void>((resolve) => {
    input.once('end', resolve);
    input.once('close', resolve);
    input.once('error', () => resolve());
  });
  requests.abortAll();
  cache?.releaseAll();
  await opened?.close().catch(() => undefined);
}

/** A tcp or http readiness probe from this host. */
async function probe(p: RemoteProbe, signal: AbortSignal): Promise<unknown> {
  const { tcpConnect, httpGet } = await import('../executor/readiness/probes.js');
  return p.kind === 'tcp' ? tcpConnect(p.host, p.port, signal) : httpGet(p.host, p.port, p.path, p.status, signal);
}

/** Why this host cannot run the embedded runtime for this user (not Linux, native parts missing, no root and no user namespaces), or undefined. */
async function unfitHost(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `it is ${process.platform}, not Linux`;
  const { embeddedUnavailable } = await import('../runtime/embedded/native-files.js');
  const missing = embeddedUnavailable();
  if (missing) return missing;
  const uid = process.getuid?.();
  if (uid === 0) return undefined;
  const [{ userNamespacesUnavailable }, { userNamespaceRefused }] = await Promise.all([import('../runtime/embedded/rootless/userns-probe.js'), import('../runtime/embedded/rootless/userns-attempt.js')]);
  // The switches first (they name what to change), then a real attempt: a seccomp filter, an LSM or an enclosing namespace's limit refuse too.
  const noUserns = userNamespacesUnavailable() ?? userNamespaceRefused();
  return noUserns ? `uid ${uid ?? '?'} is not root, and ${noUserns} (log in as root, or allow user namespaces there)` : undefined;
}

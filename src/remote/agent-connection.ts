/**
 * One ssh process to the remote host carrying the agent protocol (agent-protocol.ts) on its stdio:
 * the connection a command makes (issue 19). It waits for the agent's greeting, checks the version,
 * and turns a failure before it (no route, host key, login, hafen missing) or a lost connection
 * after it into an error naming the host and how it failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { StackError } from '../errors.js';
import { jsonLines } from '../supervisor/line-requests.js';
import { fromWire } from '../supervisor/protocol.js';
import { version } from '../version.js';
import type { AgentHello, AgentMessage } from './agent-protocol.js';
import { installHint, sshFailure } from './ssh-failure.js';
import { remoteCommand, sshArgv, type SshTarget } from './ssh-target.js';

/** How long the remote side may take to greet (ssh's own ConnectTimeout applies inside it). */
const HELLO_TIMEOUT_MS = 30_000;
/** How much of ssh's stderr is kept for messages. */
const STDERR_KEEP = 8192;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  onItem?: (item: unknown) => void;
}

/** A live connection to a remote agent. */
export class AgentConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private lost: StackError | undefined;

  private constructor(
    readonly target: SshTarget,
    readonly hello: AgentHello['hello'],
    private readonly child: ChildProcess,
    private readonly stderr: () => string,
  ) {
    child.once('exit', (code) => {
      this.lost = new StackError('E_REMOTE', `remote host ${target.url}: the connection was lost (ssh exit ${code ?? 'by signal'}${this.lastWords()})`, 1);
      for (const p of this.pending.values()) p.reject(this.lost);
      this.pending.clear();
    });
  }

  private lastWords(): string {
    const said = this.stderr().trim().split('\n').filter((l) => l.trim() !== '').slice(-2).join('; ');
    return said ? `: ${said}` : '';
  }

  /** Starts `ssh … hafen system dial-stdio` and waits for the greeting of a hafen of this version. */
  static async open(target: SshTarget, env: NodeJS.ProcessEnv = process.env): Promise<AgentConnection> {
    const argv = sshArgv(target, ['-T', '-o', 'ServerAliveInterval=15'], `${remoteCommand(env)} system dial-stdio`, env);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP)));
    child.stdin!.on('error', () => {});
    let connection: AgentConnection | undefined;
    let greeted!: (hello: AgentHello['hello']) => void;
    const hello = new Promise<AgentHello['hello']>((resolve) => (greeted = resolve));
    // A line that is not JSON (a login banner, a shell's chatter on stdout) is not ours: ignored.
    child.stdout!.on(
      'data',
      jsonLines<AgentMessage>((m) => {
        if ('hello' in m) return greeted(m.hello);
        connection?.receive(m);
      }),
    );
    const ended = new Promise<StackError>((resolve) => {
      child.once('error', (err) => resolve(new StackError('E_REMOTE', `remote host ${target.url}: cannot run ${argv[0]}: ${err.message}`, 2)));
      child.once('exit', (code) => setTimeout(() => resolve(sshFailure(target, code, stderr, version)), 50)); // stderr's last bytes first
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<StackError>((resolve) => {
      timer = setTimeout(() => resolve(new StackError('E_REMOTE', `remote host ${target.url}: no answer from hafen there within ${HELLO_TIMEOUT_MS / 1000}s`, 1)), HELLO_TIMEOUT_MS);
    });
    const first = await Promise.race([hello, ended, timeout]);
    clearTimeout(timer);
    if (first instanceof StackError) {
      child.kill('SIGKILL');
      throw first;
    }
    connection = new AgentConnection(target, first, child, () => stderr);
    if (first.version !== version) {
      await connection.close();
      throw new StackError('E_REMOTE', `remote host ${target.url} runs hafen ${first.version}, this is hafen ${version}: ${installHint(version)}`, 2);
    }
    return connection;
  }

  private receive(m: AgentMessage): void {
    if ('hello' in m) return;
    const p = this.pending.get(m.id);
    if (!p) return;
    if ('item' in m) return p.onItem?.(m.item);
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result ?? undefined);
    else p.reject(fromWire(m.error));
  }

  /** Calls `method` on the remote side; `onItem` receives a streaming call's items; `signal` cancels it there. */
  call<T>(method: string, args: unknown[], signal?: AbortSignal, onItem?: (item: unknown) => void): Promise<T> {
    if (this.lost) return Promise.reject(this.lost);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.pending.delete(id)) return;
        this.write({ id, cancel: true });
        reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
      };
      const done = (): void => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, { resolve: (v) => (done(), resolve(v as T)), reject: (e) => (done(), reject(e)), ...(onItem ? { onItem } : {}) });
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.write({ id, method, args });
    });
  }

  private write(message: unknown): void {
    if (this.child.stdin!.writable) this.child.stdin!.write(`${JSON.stringify(message)}\n`);
  }

  /** Ends the channel (the agent lets go of the project) and waits a moment for ssh to exit. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGTERM'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

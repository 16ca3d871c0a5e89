/** `exec` on a Docker engine: output captured and demultiplexed, or the caller's terminal attached. */
import type Docker from 'dockerode';
import { RuntimeError } from '../../errors.js';
import type { ExecOptions, ExecResult } from '../runtime.js';
import { engineMessage, statusOf } from './docker-errors.js';
import { Demuxer } from './log-lines.js';
import { relayTerminal } from './attach-streams.js';

/** Runs `opts.command` in the running container `name`. */
export async function execIn(docker: Docker, name: string, opts: ExecOptions): Promise<ExecResult> {
  const interactive = opts.interactive === true;
  const tty = opts.tty ?? (interactive && process.stdin.isTTY === true);
  let exec: Docker.Exec;
  try {
    exec = await docker.getContainer(name).exec({
      Cmd: opts.command,
      Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
      ...(opts.user ? { User: opts.user } : {}),
      ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
      AttachStdin: interactive,
      AttachStdout: true,
      AttachStderr: true,
      Tty: tty,
    });
  } catch (err) {
    const status = statusOf(err);
    if (status === 404) throw new RuntimeError(`container ${name}`, 'no such container', { cause: err });
    if (status === 409) throw new RuntimeError(`container ${name}`, 'is not running', { cause: err });
    throw new RuntimeError(`container ${name}`, `cannot exec ${opts.command.join(' ')}: ${engineMessage(err)}`, { cause: err });
  }
  const stream = (await exec.start({ hijack: true, stdin: interactive, Tty: tty })) as NodeJS.ReadWriteStream;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  if (interactive) {
    await relayTerminal(stream, tty, (size) => exec.resize(size));
  } else {
    const demux = new Demuxer((s, data) => (s === 'stderr' ? err : out).push(Buffer.from(data)));
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => (tty ? out.push(chunk) : demux.push(chunk)));
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
  }
  return { exitCode: await exitCodeOf(exec), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/** The exit code once the exec has ended (the stream can close a moment before Docker records it). */
async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  for (let i = 0; ; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await new Promise((r) => setTimeout(r, Math.min(5 * (i + 1), 50)));
  }
}

/**
 * Node's own errors that say something about the machine, not about hafen: a Docker engine socket
 * that is missing or forbidden, a TCP engine that refuses. They become one plain line saying what
 * to do (exit 2) instead of a stack trace.
 */
import { EngineUnreachableError } from '../errors.js';

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  address?: string;
  port?: number;
}

/** The explained error, or undefined when `err` is not one of these. */
export function explainSystemError(err: unknown, env: NodeJS.ProcessEnv = process.env): EngineUnreachableError | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as SystemError;
  if (e.syscall !== 'connect' || !e.code) return undefined;
  const where = e.port !== undefined ? `${e.address}:${e.port}` : (e.address ?? 'its socket');
  const docker = /docker/.test(where) || (env.DOCKER_HOST !== undefined && env.DOCKER_HOST.includes(e.address ?? '\0'));
  const what = docker ? 'the Docker engine' : 'the engine';
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return new EngineUnreachableError(
        `cannot use ${what} at ${where}: permission denied; add yourself to the docker group (and log in again), or run as root for the embedded runtime`,
        { cause: err },
      );
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new EngineUnreachableError(
        `no engine answers at ${where} (${e.code === 'ENOENT' ? 'no such socket' : 'connection refused'}); start dockerd, set DOCKER_HOST to the engine, or use --runtime embedded`,
        { cause: err },
      );
    default:
      return undefined;
  }
}

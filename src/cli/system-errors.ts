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
  // Only the Docker engine's address: another connect failure (a registry, a supervisor socket)
  // is not the machine's Docker setup, and is left to its own handling.
  const docker = /docker/.test(where) || (env.DOCKER_HOST !== undefined && e.address !== undefined && env.DOCKER_HOST.includes(e.address));
  if (!docker) return undefined;
  const what = 'the Docker engine';
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

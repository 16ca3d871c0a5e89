/**
 * Connecting to a Docker engine by address, as `DOCKER_HOST` or a ship's `docker:` writes it:
 * `unix:///var/run/docker.sock`, `tcp://host:2376` (TLS when certificates are given), `ssh://user@host`.
 */
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { UsageError } from '../../errors.js';

/** TLS material of a tcp engine; paths are read relative to `baseDir`. */
export interface EngineTls {
  ca?: string;
  cert?: string;
  key?: string;
  verify: boolean;
}

/** Where an engine is. */
export interface EngineAddress {
  /** The engine's address; default `DOCKER_HOST`, else the local socket. */
  docker?: string;
  tls?: EngineTls;
  /** Folder relative TLS paths resolve in (the stack file's). */
  baseDir?: string;
}

/** The local engine's socket when `DOCKER_HOST` says nothing. */
export const DEFAULT_SOCKET = 'unix:///var/run/docker.sock';

/** The address `opts` resolves to (for `host` in what the runtime reports). */
export function engineAddress(opts: EngineAddress = {}): string {
  return opts.docker ?? process.env.DOCKER_HOST ?? DEFAULT_SOCKET;
}

/** A dockerode client of the engine at `opts`. */
export function connectEngine(opts: EngineAddress = {}): Docker {
  const address = engineAddress(opts);
  const url = new URL(address);
  switch (url.protocol) {
    case 'unix:':
      return new Docker({ socketPath: url.pathname });
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const tls = opts.tls ?? tlsFromEnv();
      const read = (file?: string) => (file ? fs.readFileSync(path.resolve(opts.baseDir ?? '.', file)) : undefined);
      const secure = url.protocol === 'https:' || tls !== undefined;
      const port = Number(url.port || (secure ? 2376 : 2375));
      if (!secure) return new Docker({ host: url.hostname, port, protocol: 'http' });
      const ca = read(tls?.ca);
      const cert = read(tls?.cert);
      const key = read(tls?.key);
      return new Docker({
        host: url.hostname,
        port,
        protocol: 'https',
        ...(ca ? { ca } : {}),
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
        ...(tls?.verify === false ? { checkServerIdentity: () => undefined } : {}),
      } as Docker.DockerOptions);
    }
    case 'ssh:':
      return new Docker({
        protocol: 'ssh',
        host: url.hostname,
        port: Number(url.port || 22),
        ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
        sshOptions: { agent: process.env.SSH_AUTH_SOCK },
      } as Docker.DockerOptions);
    default:
      throw new UsageError(`cannot reach a Docker engine at ${address}: use unix://, tcp:// or ssh://`);
  }
}

/** TLS as the docker CLI reads it from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH. */
function tlsFromEnv(): EngineTls | undefined {
  const dir = process.env.DOCKER_CERT_PATH;
  if (!dir || !process.env.DOCKER_TLS_VERIFY) return undefined;
  return { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem'), verify: process.env.DOCKER_TLS_VERIFY !== '0' };
}

/** What a published port is (its spec, a running proxy) and the error when the host refuses it. */
import net from 'node:net';
import { RuntimeError } from '../../../errors.js';

/** One published port, as asked for. */
export interface ProxySpec {
  service: string;
  container: string;
  protocol: 'tcp' | 'udp';
  /** Host address to listen on; 127.0.0.1 unless the stack file says otherwise. */
  hostIp?: string;
  /** Host port; 0 or absent: a free one, chosen by the kernel. */
  hostPort?: number;
  /** The container's address (on one of its networks) and port. */
  targetIp: string;
  targetPort: number;
}

/** Tuning and reporting, mostly for tests. */
export interface ProxyOptions {
  /** A UDP client's upstream socket is closed after this long without traffic (default 90 s, as docker-proxy). */
  udpIdleMs?: number;
  /** Where problems of single connections are told (they never stop the proxy). */
  log?: (message: string) => void;
}

/** A running proxy. */
export interface Proxy {
  readonly spec: ProxySpec;
  readonly protocol: 'tcp' | 'udp';
  readonly hostIp: string;
  /** The port listened on (the one chosen, when none was asked for). */
  readonly hostPort: number;
  /** Open TCP connections, or UDP clients with a live upstream socket. */
  active(): number;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

/** The host address a spec listens on. */
export function listenAddress(spec: ProxySpec): string {
  return spec.hostIp || '127.0.0.1';
}

/** `127.0.0.1:8080/tcp`, `[::1]:8080/udp`. */
export function formatEndpoint(address: string, port: number, protocol: string): string {
  return `${net.isIPv6(address) ? `[${address}]` : address}:${port}/${protocol}`;
}

/** A published port that cannot be listened on; names the service, the address and the port. */
export class PublishError extends RuntimeError {
  readonly service: string;
  readonly hostIp: string;
  readonly hostPort: number;
  /** The system's error code (EADDRINUSE, EADDRNOTAVAIL, EACCES, …). */
  readonly reason: string;
  constructor(spec: ProxySpec, cause: NodeJS.ErrnoException) {
    const hostIp = listenAddress(spec);
    const port = spec.hostPort ?? 0;
    const what = `cannot publish ${formatEndpoint(hostIp, port, spec.protocol)} (container port ${spec.targetPort})`;
    const why =
      cause.code === 'EADDRINUSE'
        ? `port ${port} is already in use on ${hostIp}; stop what uses it or publish another port`
        : cause.code === 'EADDRNOTAVAIL'
          ? `${hostIp} is not an address of this host`
          : cause.code === 'EACCES'
            ? `permission denied (ports below 1024 need root)`
            : cause.message;
    super(`service ${spec.service}`, `${what}: ${why}`, { cause });
    this.service = spec.service;
    this.hostIp = hostIp;
    this.hostPort = port;
    this.reason = cause.code ?? 'unknown';
  }
}


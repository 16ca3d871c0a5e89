/** Published ports as text: the long form of `stack ps` and the short form of the dashboard's narrow column. */

/** What a published port is, as far as showing it goes (a runtime's PortBinding fits). */
export interface ShownPort {
  target: number;
  protocol: string;
  hostIp: string;
  hostPort: number;
}

/** `127.0.0.1:32768->8080/tcp, …`: every part, as `docker ps` shows them. */
export function formatPorts(ports: readonly ShownPort[]): string {
  return ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.target}/${p.protocol}`).join(', ');
}

/** `32768→8080`, with the address when it is not loopback or any, and `/udp` for UDP. */
export function formatPortsShort(ports: readonly ShownPort[]): string {
  return ports
    .map((p) => {
      const ip = p.hostIp === '127.0.0.1' || p.hostIp === '0.0.0.0' || p.hostIp === '' ? '' : `${p.hostIp}:`;
      return `${ip}${p.hostPort}→${p.target}${p.protocol === 'tcp' ? '' : `/${p.protocol}`}`;
    })
    .join(' ');
}

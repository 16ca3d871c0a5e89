/**
 * A rootless container's resolv.conf. Containers live in namespaces nested in the holder's network
 * namespace, where the host's loopback is not reachable: a host resolver on 127.0.0.x (systemd-resolved's
 * 127.0.0.53, dnsmasq, a VPN's stub) or ::1 answers nobody there. Such nameservers are replaced by the
 * outbound driver's DNS forwarder (slirp4netns's 10.0.2.3), which sends the queries on from the host's
 * side, where the host's own resolver is (libslirp reads the host's /etc/resolv.conf). Other
 * nameservers are kept: they are reached through the holder's NAT like any outside address. Pure.
 */
import net from 'node:net';

/** Whether `address` is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x). */
export function isLoopbackAddress(address: string): boolean {
  const a = address.split('%')[0]!.toLowerCase();
  if (net.isIPv4(a)) return a.startsWith('127.');
  if (!net.isIPv6(a)) return false;
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped !== null && mapped[1]!.startsWith('127.');
}

/**
 * `text` (a resolv.conf: the host's, or one made from the stack file's dns keys) with each loopback
 * nameserver replaced by `forwarder`, once, where the first of them was. Other lines are kept as they are.
 */
export function rootlessResolvConf(text: string, forwarder: string): string {
  let replaced = false;
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const [word, address] = line.trim().split(/\s+/);
    if (word === 'nameserver' && address !== undefined && isLoopbackAddress(address)) {
      if (!replaced) lines.push(`nameserver ${forwarder}`);
      replaced = true;
      continue;
    }
    lines.push(line);
  }
  return lines.join('\n');
}

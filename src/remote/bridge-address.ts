/** The IPv4 address of a network interface, for listeners that only a bridge's containers should reach. */
import { spawnSync } from 'node:child_process';

/**
 * The IPv4 address of interface `name` (undefined when it has none), asked of `ip`: Node's
 * networkInterfaces() leaves out links without carrier, and a bridge has none until a container joins.
 */
export function interfaceAddress(name: string): string | undefined {
  const r = spawnSync('ip', ['-4', '-o', 'addr', 'show', 'dev', name], { encoding: 'utf8' });
  return /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(r.stdout ?? '')?.[1];
}

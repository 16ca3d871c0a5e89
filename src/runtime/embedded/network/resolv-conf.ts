/**
 * A container's /etc/resolv.conf from the stack file's `dns`, `dns_search` and `dns_opt`. Pure.
 * Without any of them a stack container gets the generated default (names resolve through
 * /etc/hosts, other lookups fail fast); a container on the host's network gets the host's file.
 */
import { renderResolvConf } from './hosts.js';

/** What the stack file asks of the resolver. */
export interface ResolverSettings {
  dns?: readonly string[];
  dnsSearch?: readonly string[];
  dnsOptions?: readonly string[];
}

/** The resolv.conf text: the file's settings over the base (the default, or the host's own text). */
export function resolvConfText(settings: ResolverSettings, hostText?: string): string {
  const dns = settings.dns ?? [];
  const search = settings.dnsSearch ?? [];
  const options = settings.dnsOptions ?? [];
  if (dns.length === 0 && search.length === 0 && options.length === 0) return hostText ?? renderResolvConf();
  const base = hostText ?? renderResolvConf();
  const kept = base.split('\n').filter((line) => {
    const word = line.trim().split(/\s+/)[0];
    if (word === 'nameserver') return dns.length === 0;
    if (word === 'search' || word === 'domain') return search.length === 0;
    if (word === 'options') return options.length === 0;
    return line.trim() !== '';
  });
  const lines = [
    ...kept,
    ...dns.map((server) => `nameserver ${server}`),
    ...(search.length > 0 ? [`search ${search.join(' ')}`] : []),
    ...(options.length > 0 ? [`options ${options.join(' ')}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

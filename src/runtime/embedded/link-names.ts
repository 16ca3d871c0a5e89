/**
 * Names of the network links and namespaces hafen makes. Interface names hold at most 15 characters,
 * so they carry hashes; each begins with a tag of the project, so a leak check (src/testing/leaks.ts)
 * finds every link of a project in /sys/class/net from the project's name alone:
 *
 *   bridge           hf-<tag><6 hex of sha256(project/network)>            hf-8d9001e6e8e1
 *   host-side veth   hv<tag><7 hex of sha256(project/container/network)>   hv8d900151acb32
 *   container side   hc<tag><same 7 hex> (renamed inside the container)    hc8d900151acb32
 *   netns            /run/netns/hafen.<project>.<container>                /run/netns/hafen.shop.db-1
 *
 * where <tag> is 6 hex of sha256(project); the examples are project shop, network default, container db-1.
 */
import { createHash } from 'node:crypto';

/** Linux's limit on an interface name (IFNAMSIZ - 1). */
export const LINK_NAME_MAX = 15;

/** Where named network namespaces are bound (as `ip netns` does). */
export const NETNS_DIR = '/run/netns';

function hex(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** The 6 hex characters that mark every link of `project`. */
export function projectLinkTag(project: string): string {
  return hex(project, 6);
}

/** The bridge of a stack network. */
export function bridgeName(project: string, network: string): string {
  return `hf-${projectLinkTag(project)}${hex(`${project}/${network}`, 6)}`;
}

/** The host side of a container's veth pair on `network`. */
export function hostVethName(project: string, container: string, network: string): string {
  return `hv${projectLinkTag(project)}${hex(`${project}/${container}/${network}`, 7)}`;
}

/** The container side of that pair, as named on the host before it moves into the container's netns. */
export function peerVethName(project: string, container: string, network: string): string {
  return `hc${projectLinkTag(project)}${hex(`${project}/${container}/${network}`, 7)}`;
}

/** Whether the link `name` was made for `project` (by the naming above). */
export function isProjectLink(project: string, name: string): boolean {
  const tag = projectLinkTag(project);
  return name.startsWith(`hf-${tag}`) || name.startsWith(`hv${tag}`) || name.startsWith(`hc${tag}`);
}

/** The name of a container's network namespace (a file in /run/netns). */
export function netnsName(project: string, container: string): string {
  return `hafen.${project}.${container}`;
}

/** The prefix of every network namespace of `project` (`.` is never part of a project name). */
export function netnsPrefix(project: string): string {
  return `hafen.${project}.`;
}

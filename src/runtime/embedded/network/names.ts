/**
 * Names of the links a stack network is made of. The naming is shared with cleanup and the leak
 * check (src/testing/leaks.ts), so it lives in ../link-names.ts; this module re-exports it for the
 * network code and adds the names seen inside a container.
 */
export { bridgeName, hostVethName, isProjectLink, LINK_NAME_MAX, peerVethName, projectLinkTag } from '../link-names.js';

/** The name of a container's `index`-th interface (0-based), as Docker names them: eth0, eth1, … */
export function containerIfName(index: number): string {
  return `eth${index}`;
}

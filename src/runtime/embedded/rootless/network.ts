/**
 * The rootless network (issue 17): what connects a user's holder (user + network + mount
 * namespaces, the bridges and container veths made inside it by today's code) to the host.
 *
 * Wiring: rerunInUserNamespace registers `useHolderNetwork(rootlessHolderNetwork({ say }))`
 * (./network-attach.ts); ensureNamespaceHolder starts the keeper below for a holder that has none
 * when the command asks for the network (up, run, start, build: `network: true`), and
 * stopHolderIfIdle stops it with the holder. The runtime side: RuntimeContext's ports are a
 * HolderPortSet (./holder-ports.ts) for a user without root; name files use ./holder-outbound.ts;
 * containers get a default route and their bridges forward (./container-route.ts). In detail:
 *   - `startRootlessNetwork({ holderPid, stateDir })` once per holder (a second call finds the running
 *     keeper by STATE/network.json). It starts the keeper, detached, as the calling user, in the host's
 *     network namespace: slirp4netns on the holder (tap0 10.0.2.100, gateway 10.0.2.2, DNS 10.0.2.3),
 *     net.ipv4.ip_forward=1 and `-t nat -A POSTROUTING -o tap0 -j MASQUERADE` in the holder (iptables-nft,
 *     else iptables-legacy), and the relay inside the holder. Resolves with the record. The keeper
 *     exits by itself when the holder's pid (with its start time) is gone, taking everything along.
 *   - Published ports: `new RootlessPortSet(project, record.controlSocket)` wherever root uses
 *     `new ProxySet(project)` (the supervisor): the same start(specs) / stop(container?) / list() /
 *     port() with the same ProxySpec and PublishedPort, and the same PublishError; plus refresh() to
 *     load ports a previous supervisor published (the keeper keeps them; the same specs get the same
 *     ports again). The unix socket works from inside the holder's namespaces too.
 *   - A container's resolv.conf: `rootlessResolvConf(text, dns)` over what resolvConfText() made,
 *     with `dns` the record's outbound.dns (loopback resolvers are unreachable from the holder).
 *   - `down` of the last project / the holder's end: `stopRootlessNetwork(stateDir)`;
 *     `rootlessNetworkLeftovers(stateDir)` for leak checks (processes by record and by argv, sockets, files).
 *   - No /dev/net/tun for the user (`outboundUnavailable()` says why): the keeper still runs and
 *     publishes ports; the record's outbound is `{ unavailable: why }`, for `up` to say once.
 */
export { holderNetworkDir, rootlessHolderNetwork } from './network-attach.js';
export { rootlessNetworkLeftovers, startRootlessNetwork, stopRootlessNetwork, keeperRunning, type StartNetworkOptions } from './network-lifecycle.js';
export { outboundUnavailable, SLIRP_NETWORK } from './network-outbound.js';
export { RootlessPortSet } from './network-port-set.js';
export { networkFiles, readNetworkRecord, type RootlessNetworkRecord } from './network-record.js';
export { isLoopbackAddress, rootlessResolvConf } from './network-resolv.js';

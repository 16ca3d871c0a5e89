/**
 * The embedded runtime for a user without root (issue 17). The design, as rootless Podman's:
 *
 *   stack up (uid 1001) ──▶ ensureNamespaceHolder ──▶ hafen-run userns-holder ─fork─▶ holder (pid H)
 *        │                   ($XDG_RUNTIME_DIR/hafen/       parent runs newuidmap/newgidmap H      new user ns: 0 = 1001,
 *        │                    userns.json: pid, ns paths)   (or writes a single-id map itself)      1..65536 = subordinate ids;
 *        │                                                                                          own mount ns (/ private,
 *        │                                                                                          own sysfs) and net ns (lo up)
 *        └─▶ hafen-run userns-join H -- node <same argv>  (HAFEN_USERNS=H: happens once)
 *                 └─▶ the same command, uid 0 with capabilities over H's namespaces: overlay mounts,
 *                     stack bridges, veths and the launcher work as for root; the supervisor it
 *                     starts stays there. The outer process waits, exits with its code, and stops
 *                     the holder when the user has no project left (its bridges go with its net ns).
 *
 * What differs from root: the state root is $XDG_DATA_HOME/hafen (rootless-paths.ts); cgroups only
 * where one is delegated (rootless-cgroups.ts: otherwise no cgroup, and `up` names the limits not
 * applied); no device cgroup for build steps; image files keep their owners through the map (uid
 * 1000 of an image is subordinate id +999 on the host; with a single-id map such a file fails to
 * unpack, which the one line at the holder's start warns of); devpts without gid=5 and setgroups
 * left as the kernel denies it under a single-id map (native/hafen-run-fs.c, -proc.c). Networking
 * to the outside (slirp4netns, published ports) plugs in through holder-network.ts (network.ts).
 */
export { ensureNamespaceHolder, runningHolder, stopHolderIfIdle, type NamespaceHolder } from './namespace-holder.js';
export { useHolderNetwork, holderNetwork, type HolderNetwork, type HolderNamespaces } from './holder-network.js';
export { needsUserNamespace, rerunInUserNamespace, JOINED_ENV } from './enter-namespace.js';
export { inUserNamespace, isRootless, hostUid } from './user-namespace.js';
export { userDataRoot, userRuntimeDir } from './rootless-paths.js';

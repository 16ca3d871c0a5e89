/**
 * The hook for rootless networking (issue 17's networking part, network-*.ts in this folder):
 * outbound traffic (slirp4netns or pasta attached to the holder's network namespace) and the
 * outer ends of published ports must run on the host side, as the user, next to the holder. When
 * a holder is made, `ensureNamespaceHolder` calls the registered `HolderNetwork` from the outer
 * process (before any command joins the namespace), with the holder's pid and namespace paths and
 * the runtime folder where it may keep its own pid files; when the holder is stopped (the user's
 * last project gone), `stopHolderIfIdle` calls its `detach`. Nothing is registered by default: the
 * holder's network namespace then has only loopback and the stack bridges (no way out).
 */
/** The namespaces of a holder, as paths a tool (slirp4netns, pasta, nsenter) takes. */
export interface HolderNamespaces {
  user: string;
  mnt: string;
  net: string;
}

/** What a rootless network helper does for a new holder. */
export interface HolderNetwork {
  /** Gives the new holder's network namespace its way out; a failure fails the command that made the holder. */
  attach(holder: { pid: number; ns: HolderNamespaces }, runtimeDir: string): Promise<void> | void;
  /** Stops what attach started for the holder of `runtimeDir` and removes its files (the holder is gone or going). */
  detach?(runtimeDir: string): Promise<void> | void;
  /** Its own processes for the holder of `runtimeDir` (a relay inside the namespaces): they do not keep the holder in use. */
  processes?(runtimeDir: string): number[];
}

let registered: HolderNetwork | undefined;

/** Registers the network helper (one per process; the last registration wins). */
export function useHolderNetwork(network: HolderNetwork | undefined): void {
  registered = network;
}

/** The registered network helper, if any. */
export function holderNetwork(): HolderNetwork | undefined {
  return registered;
}

/**
 * Whether this process may run itself again inside the user's namespaces (enter-namespace.ts):
 * only the `stack` CLI says so, at its entry; a library's host process is never replaced. Its own
 * module, so the CLI's startup loads nothing more for it.
 */
let allowed = false;

/** Called by the CLI's entry. */
export function allowUserNamespaceRerun(): void {
  allowed = true;
}

/** True once the CLI allowed it. */
export function userNamespaceRerunAllowed(): boolean {
  return allowed;
}

/**
 * Whether this process may run itself again inside the user's namespaces (enter-namespace.ts):
 * only the `stack` CLI says so, at its entry; a library's host process is never replaced. Its own
 * module, so the CLI's startup loads nothing more for it.
 */
let allowed = false;
let namespaceCommand = false;

/** Called by the CLI's entry. */
export function allowUserNamespaceRerun(): void {
  allowed = true;
}

/** True once the CLI allowed it. */
export function userNamespaceRerunAllowed(): boolean {
  return allowed;
}

/**
 * Called by the CLI's entry (src/cli/early-userns.ts) for a command that works inside the user's
 * namespaces even when it only tears down or enters (down, exec, kill, …): when its early move was
 * skipped (the file may name a runtime), openProjectRuntime moves once the runtime is known.
 */
export function markUserNamespaceCommand(): void {
  namespaceCommand = true;
}

/** True for such a command. */
export function isUserNamespaceCommand(): boolean {
  return namespaceCommand;
}

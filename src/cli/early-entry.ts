/**
 * The CLI's first step for a user without root (issue 17), on its own: dist/cli-early.cjs, a small
 * bundle of this, runs before the CLI bundle is loaded (bin-cjs.ts; bin.ts for tsc's output), so
 * the process that only waits outside the user's namespaces loads little. run-main.ts takes the
 * same step again (a no-op where it was taken; it marks the command for the late move when not).
 */
import { allowUserNamespaceRerun } from '../runtime/embedded/rootless/rerun-permission.js';
import { enterUserNamespaceEarly } from './early-userns.js';

/** For an embedded command of a user without root: runs it again inside the user's namespaces and exits with its code. */
export async function moveEarly(argv: readonly string[]): Promise<void> {
  allowUserNamespaceRerun();
  await enterUserNamespaceEarly(argv);
}

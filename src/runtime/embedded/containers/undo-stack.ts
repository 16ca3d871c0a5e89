/**
 * What an operation made so far, to be taken down again in reverse order when a later step fails.
 * Each undo is tried even when an earlier one failed; those failures go to the debug log, so the
 * step's own error is the one the caller sees (and cleanup from the ledger catches the rest).
 */

/** Undo actions, run last-in first-out. */
export class UndoStack {
  private readonly actions: { what: string; fn: () => unknown }[] = [];

  /** Remembers how to take down what was just made. */
  push(what: string, fn: () => unknown): void {
    this.actions.push({ what, fn });
  }

  /** Runs every action, newest first; failures are logged, never thrown. */
  async run(log: (line: string) => void): Promise<void> {
    for (const { what, fn } of this.actions.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        log(`Undo of ${what} failed: ${(err as Error).message}`);
      }
    }
  }
}

/**
 * Ctrl-C as an AbortSignal: the first SIGINT (or SIGTERM) aborts what runs so it can stop
 * gracefully; a second one leaves at once with exit code 130.
 */
export interface Interrupt extends Disposable {
  readonly signal: AbortSignal;
}

export function onInterrupt(onFirst?: () => void): Interrupt {
  const ac = new AbortController();
  const handler = (): void => {
    if (ac.signal.aborted) process.exit(130);
    onFirst?.();
    ac.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ac.signal,
    [Symbol.dispose]() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

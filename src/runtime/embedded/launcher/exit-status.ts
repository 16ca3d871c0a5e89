/** How a container's command ended, as hafen-run reports it (sync socket and status file). */

/** The command exited with a code, or was killed by a signal; `oom` when the kernel OOM-killed in its cgroup. */
export type ExitStatus =
  | { kind: 'exited'; code: number; oom: boolean }
  | { kind: 'signaled'; signal: number; oom: boolean };

/** Parses `exited 3`, `signaled 9 oom`; undefined for anything else. */
export function parseExitStatus(text: string): ExitStatus | undefined {
  const m = /^(exited|signaled) (\d+)( oom)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[2]);
  const oom = m[3] !== undefined;
  return m[1] === 'exited' ? { kind: 'exited', code: n, oom } : { kind: 'signaled', signal: n, oom };
}

/** The shell's view: the code, or 128 + the signal. */
export function exitCodeOf(status: ExitStatus): number {
  return status.kind === 'exited' ? status.code : 128 + status.signal;
}

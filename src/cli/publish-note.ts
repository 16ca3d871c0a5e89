/**
 * Where published ports listen, said once by `up` and `run`: ports the file gives no address stay
 * on 127.0.0.1 unless `--publish-all-interfaces` (or HAFEN_PUBLISH_ALL=1) asks for Compose's 0.0.0.0;
 * and ports of a service on the host's network are the host's own (Docker discards them too).
 */
import type { Stack } from '../config/model.js';
import type { Progress } from './global-options.js';

/** The environment variable that `--publish-all-interfaces` sets, so the loader (and the supervisor) read it. */
export const PUBLISH_ALL_ENV = 'HAFEN_PUBLISH_ALL';

/** Turns on Compose's 0.0.0.0 default for this process (and the processes it starts). */
export function publishAllInterfaces(flag: boolean | undefined): void {
  if (flag) process.env[PUBLISH_ALL_ENV] = '1';
}

/** The lines `up`/`run` print on stderr before starting; none with `--progress json` (its stderr is events only). */
export function publishNotes(stack: Stack, progress: Progress, env: NodeJS.ProcessEnv = process.env): string[] {
  if (progress === 'json') return [];
  const lines: string[] = [];
  if (stack.ports_without_address?.length && env[PUBLISH_ALL_ENV] !== '1') {
    lines.push(`ports without an address listen on 127.0.0.1 only (--publish-all-interfaces or ${PUBLISH_ALL_ENV}=1 for 0.0.0.0, as Compose)`);
  }
  for (const s of Object.values(stack.services)) {
    if (s.network_mode?.kind === 'host' && s.ports.length > 0) {
      lines.push(`${s.name}: published ports are discarded with network_mode "host": the container listens on the host's own ports`);
    }
  }
  return lines;
}

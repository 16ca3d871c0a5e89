/**
 * What a snapshot leaves out (issue 20), said once per service and mount when it is taken, so
 * nobody expects `reset` to put it back: bind mounts (host folders are the host's, never
 * captured), external volumes (another project's or the host's: resetting them would change
 * their data under their other users), named volumes in the local driver's bind form (a host
 * folder too), and on the Docker runtime anonymous volumes (`docker commit` leaves volumes out, and
 * the container made again gets a new one).
 * Pure: read from the stack file, so it is the same whatever runs.
 */
import type { RuntimeName, Stack } from '../config/model.js';

/** One line per mount of `services` that a snapshot named `name` does not capture, in file order. */
export function notCapturedNotes(stack: Stack, services: readonly string[], runtime: RuntimeName, name: string): string[] {
  const lines: string[] = [];
  for (const service of services) {
    const s = stack.services[service];
    if (!s) continue;
    const say = (what: string, reset = 'leaves it as it is') => lines.push(`snapshot ${name}: service ${service}: ${what} is not captured; reset ${reset}`);
    const seen = new Set<string>();
    for (const m of s.volumes) {
      if (seen.has(m.target)) continue;
      seen.add(m.target);
      if (m.type === 'bind') say(`bind mount ${m.target} (host folder ${m.source})`);
      else if (m.type === 'volume' && m.source === undefined && runtime === 'docker') say(`anonymous volume ${m.target} (the Docker runtime commits containers without their volumes)`, 'gives the container a new one, as the image has it');
      else if (m.type === 'volume' && m.source !== undefined) {
        const v = stack.volumes[m.source];
        if (v?.external) say(`external volume ${v.name} at ${m.target} (it is not this project's: other users may share it)`);
        else if (v?.driver_opts.device) say(`volume ${v.name} at ${m.target} (host folder ${v.driver_opts.device})`);
      }
    }
  }
  return lines;
}

/** `up --registry` (issue 18): checked, and only where it means something (the swarm runtime). */
import type { RuntimeName } from '../config/model.js';
import { UsageError } from '../errors.js';
import { checkRegistry } from '../orchestrator/push-targets.js';

/** The registry `up --registry VALUE` names, for `stack.registry`; a UsageError (exit 2) for a bad value or another runtime. */
export function swarmRegistryFlag(value: string, runtime: RuntimeName | undefined): string {
  if (runtime !== 'swarm') throw new UsageError('up --registry is for --runtime swarm (images built here go to the nodes through it); on this runtime `stack push --registry` sends images to a registry');
  const checked = checkRegistry(value);
  if ('problem' in checked) throw new UsageError(`up --registry ${checked.problem}`);
  return checked.registry;
}

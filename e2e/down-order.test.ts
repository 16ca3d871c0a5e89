/**
 * The order in which `down` stops a project (issue 16): a dependent stops before what it depends on
 * while it has a grace period in which it may still use it (Compose's order); killed outright
 * (`down -t 0`), it has none, so its dependency is signalled beside it. Read from `down`'s
 * `--progress json` events, on both runtimes; nothing may be left either way.
 */
import { describe, expect, it } from 'vitest';
import type { Event } from '../src/executor/events.js';
import { unmet } from '../src/testing/requirements.js';
import { cliTargets, projectsOn } from './cli-targets.js';
import { runtimeNamed } from './conformance/runtimes.js';

const SLEEPER = `trap 'exit 0' TERM; sleep 600 & wait`;

const STACK = (image: string) => `services:
  db:
    image: ${image}
    command: ["sh", "-c", "${SLEEPER}"]
  app:
    image: ${image}
    command: ["sh", "-c", "${SLEEPER}"]
    depends_on: [db]
`;

/** The line numbers of `down`'s stop events, by `kind service` (`op-start db`). */
function stopEvents(stderr: string): Map<string, number> {
  const out = new Map<string, number>();
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Event)
    .forEach((e, i) => {
      if ((e.kind === 'op-start' || e.kind === 'op-done') && e.operation === 'stop-container') out.set(`${e.kind} ${e.service}`, i);
    });
  return out;
}

for (const target of cliTargets('10.211.0.0/16:24')) {
  describe.skipIf(unmet(...runtimeNamed(target.name).requirements))(`the order of down's stops (${target.name} runtime)`, () => {
    const { ok, newProject } = projectsOn(target, { tmpPrefix: 'down-order', stack: STACK });

    it('stops a dependent first while it has a grace period, and both at once when killed outright (-t 0)', () => {
      const graceful = newProject('dord');
      ok(graceful, ['up', '-d']);
      const inOrder = stopEvents(ok(graceful, ['--progress', 'json', 'down']).stderr);
      expect(inOrder.get('op-start db'), 'db stopped at all').toBeDefined();
      expect(inOrder.get('op-start db')!).toBeGreaterThan(inOrder.get('op-done app')!); // db only once app has stopped

      const killed = newProject('dord');
      ok(killed, ['up', '-d']);
      const together = stopEvents(ok(killed, ['--progress', 'json', 'down', '-t', '0']).stderr);
      expect(together.get('op-done app'), 'app stopped at all').toBeDefined();
      expect(together.get('op-start db')!).toBeLessThan(together.get('op-done app')!); // db signalled before app's stop was over
    });
  });
}

/**
 * Runs the effects of keys (restart, stop/start, rebuild, down, quit) one at a time, telling the
 * store what is under way and how it ended, so every action shows, and an error lands in the status
 * line instead of ending the dashboard.
 */
import { formatDuration } from '../format/duration.js';
import { assertNever } from '../planner/plan.js';
import type { Effect } from './keys.js';
import type { Store } from './store.js';

/** What the dashboard can do to the stack; each resolves to a line saying what was done. */
export interface StackActions {
  restart(service: string): Promise<string>;
  stop(service: string): Promise<string>;
  start(service: string): Promise<string>;
  rebuild(service: string): Promise<string>;
  down(): Promise<string>;
}

/** The effect runner for `store`; `quit` ends the dashboard. Resolves when the effect is done (tests). */
export function createController(store: Store, actions: StackActions, quit: () => void, clock: () => number = Date.now) {
  return async (effect: Effect): Promise<void> => {
    if (effect.kind === 'quit') return quit();
    const state = store.getState();
    if (state.busy) return store.dispatch({ type: 'status', text: `wait: ${state.busy} is under way`, tone: 'error' });
    if (state.down) return store.dispatch({ type: 'status', text: `${state.project} is down; q quits`, tone: 'error' });
    const [what, run] = plan(effect, actions);
    const started = clock();
    store.dispatch({ type: 'busy', what: `${what}…` });
    try {
      const done = await run();
      store.dispatch({ type: 'status', text: `${done} (${formatDuration(clock() - started)})`, tone: 'ok' });
    } catch (err) {
      const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      store.dispatch({ type: 'status', text: `${what} failed: ${message}`, tone: 'error' });
    } finally {
      store.dispatch({ type: 'busy' });
    }
  };
}

function plan(effect: Exclude<Effect, { kind: 'quit' }>, actions: StackActions): [string, () => Promise<string>] {
  switch (effect.kind) {
    case 'restart':
      return [`restarting ${effect.service}`, () => actions.restart(effect.service)];
    case 'toggle':
      return effect.running
        ? [`stopping ${effect.service}`, () => actions.stop(effect.service)]
        : [`starting ${effect.service}`, () => actions.start(effect.service)];
    case 'rebuild':
      return [`rebuilding and recreating ${effect.service}`, () => actions.rebuild(effect.service)];
    case 'down':
      return ['taking the stack down', () => actions.down()];
    default:
      return assertNever(effect);
  }
}

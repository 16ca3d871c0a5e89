/**
 * The dashboard's state in one place: actions go in through `dispatch` (from keys, the poller, the
 * executor's events), subscribers hear about it at most every `batchMs` (100 ms), so a burst of log lines is
 * one redraw, not hundreds.
 */
import { useSyncExternalStore } from 'react';
import type { EventSink } from '../executor/events.js';
import type { Action, DashState } from './model.js';
import { reduce } from './reduce.js';

export interface Store {
  getState(): DashState;
  dispatch(action: Action): void;
  subscribe(listener: () => void): () => void;
  /** A sink for the executor's events (`up --dash`, and the actions run from the dashboard). */
  sink: EventSink;
  /** Tells subscribers now of what is still waiting for the next batch. */
  flush(): void;
}

export function createStore(initial: DashState, options: { batchMs?: number } = {}): Store {
  const batchMs = options.batchMs ?? 100;
  let state = initial;
  const listeners = new Set<() => void>();
  let timer: NodeJS.Timeout | undefined;
  const notify = (): void => {
    clearTimeout(timer);
    timer = undefined;
    for (const l of listeners) l();
  };
  const dispatch = (action: Action): void => {
    state = reduce(state, action);
    if (batchMs === 0) notify();
    else timer ??= setTimeout(notify, batchMs);
  };
  return {
    getState: () => state,
    dispatch,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    sink: (event) => dispatch({ type: 'event', event }),
    flush: () => {
      if (timer) notify();
    },
  };
}

/** The store's state in a component, redrawn when it changes. */
export function useDashState(store: Store): DashState {
  return useSyncExternalStore(store.subscribe, store.getState);
}

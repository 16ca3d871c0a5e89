import { describe, expect, it } from 'vitest';
import { keyIntents, type KeyPress } from './keys.js';
import type { DashState } from './model.js';
import { container, stateWith } from './testing.js';

const running = (): DashState => stateWith([container('db', 1), container('api', 1), container('api', 2, { state: 'exited', exitCode: 0 })]);
const on = (state: DashState, selected: string): DashState => ({ ...state, selected });
const press = (state: DashState, input: string, key: KeyPress = {}) => keyIntents(state, input, key);

describe('keys', () => {
  it.each([
    ['j', {}, 1],
    ['k', {}, -1],
    ['', { downArrow: true }, 1],
    ['', { upArrow: true }, -1],
    ['', { pageDown: true }, 5],
  ] as const)('%j %j moves the selection by %i', (input, key, by) => {
    expect(press(running(), input, key)).toEqual([{ kind: 'action', action: { type: 'move', by } }]);
  });

  it.each([
    ['l', { type: 'log-scope', scope: 'selected' }],
    ['a', { type: 'log-scope', scope: 'all' }],
    ['/', { type: 'filter-start' }],
    ['p', { type: 'pause-toggle' }],
    ['t', { type: 'pane', pane: 'tree' }],
    ['?', { type: 'overlay', overlay: 'help' }],
    ['d', { type: 'overlay', overlay: 'confirm-down' }],
  ] as const)('%s dispatches %j', (input, action) => {
    expect(press(running(), input)).toEqual([{ kind: 'action', action }]);
  });

  it('enter opens the details and closes them again', () => {
    expect(press(running(), '', { return: true })).toEqual([{ kind: 'action', action: { type: 'pane', pane: 'details' } }]);
    expect(press({ ...running(), pane: 'details' }, '', { return: true })).toEqual([{ kind: 'action', action: { type: 'pane', pane: 'logs' } }]);
  });

  it('r, s and b act on the selected service; s stops a running one and starts a stopped one', () => {
    expect(press(on(running(), 'shop-api-1'), 'r')).toEqual([{ kind: 'effect', effect: { kind: 'restart', service: 'api' } }]);
    expect(press(on(running(), 'shop-db-1'), 's')).toEqual([{ kind: 'effect', effect: { kind: 'toggle', service: 'db', running: true } }]);
    expect(press(on(running(), 'service:web'), 's')).toEqual([{ kind: 'effect', effect: { kind: 'toggle', service: 'web', running: false } }]);
    expect(press(on(running(), 'shop-db-1'), 'b')).toEqual([{ kind: 'effect', effect: { kind: 'rebuild', service: 'db' } }]);
  });

  it('x prints the exec command for the selected container', () => {
    expect(press(on(running(), 'shop-db-1'), 'x')).toEqual([{ kind: 'action', action: { type: 'status', tone: 'info', text: 'shell: stack -p shop exec db sh' } }]);
    expect(press(on(running(), 'shop-api-2'), 'x')).toEqual([
      { kind: 'action', action: { type: 'status', tone: 'info', text: 'shell: stack -p shop exec --index 2 api sh  (api-2 is not running)' } },
    ]);
  });

  it('d asks first: y takes the stack down, n (or esc) keeps it', () => {
    const asking: DashState = { ...running(), overlay: 'confirm-down' };
    expect(press(asking, 'y')).toEqual([{ kind: 'action', action: { type: 'overlay' } }, { kind: 'effect', effect: { kind: 'down' } }]);
    expect(press(asking, 'n')).toEqual([{ kind: 'action', action: { type: 'overlay' } }, { kind: 'action', action: { type: 'status', text: 'shop stays up', tone: 'info' } }]);
    expect(press(asking, '', { escape: true })[1]).toMatchObject({ action: { text: 'shop stays up' } });
    expect(press(asking, 'r')).toEqual([]);
  });

  it('while typing a filter, keys are text: enter applies, esc cancels, backspace deletes', () => {
    const typing: DashState = { ...running(), filterDraft: 'ti' };
    expect(press(typing, 'q')).toEqual([{ kind: 'action', action: { type: 'filter-input', text: 'tiq' } }]);
    expect(press(typing, '', { backspace: true })).toEqual([{ kind: 'action', action: { type: 'filter-input', text: 't' } }]);
    expect(press(typing, '', { return: true })).toEqual([{ kind: 'action', action: { type: 'filter-apply' } }]);
    expect(press(typing, '', { escape: true })).toEqual([{ kind: 'action', action: { type: 'filter-cancel' } }]);
  });

  it('the help closes on any key; q and ctrl-c quit from anywhere', () => {
    expect(press({ ...running(), overlay: 'help' }, 'j')).toEqual([{ kind: 'action', action: { type: 'overlay' } }]);
    expect(press({ ...running(), overlay: 'help' }, 'q')).toEqual([{ kind: 'effect', effect: { kind: 'quit' } }]);
    expect(press(running(), 'q')).toEqual([{ kind: 'effect', effect: { kind: 'quit' } }]);
    expect(press({ ...running(), filterDraft: '' }, 'c', { ctrl: true })).toEqual([{ kind: 'effect', effect: { kind: 'quit' } }]);
  });
});

/**
 * What a key press means, as a table: each binding says which keys, what the help calls it, and
 * what it does (state actions and side effects). Pure: the App dispatches the actions and hands the
 * effects to the controller. Typing a filter and answering the down question come first.
 */
import { selectedRow, type Action, type DashState, type Row } from './model.js';

/** Something that changes the stack or ends the dashboard; the controller runs it. */
export type Effect =
  | { kind: 'restart'; service: string }
  | { kind: 'toggle'; service: string; running: boolean }
  | { kind: 'rebuild'; service: string }
  | { kind: 'down' }
  | { kind: 'quit' };

export type Intent = { kind: 'action'; action: Action } | { kind: 'effect'; effect: Effect };

/** The parts of Ink's `Key` the bindings look at. */
export interface KeyPress {
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  tab?: boolean;
}

/** One line of the key table. */
export interface Binding {
  /** How the help writes the keys. */
  keys: string;
  /** A word for the hint line; none keeps it out of the hint line. */
  hint?: string;
  /** Which hints stay on a narrow line: lower first. */
  rank?: number;
  help: string;
  matches(input: string, key: KeyPress): boolean;
  run(state: DashState, input: string, key: KeyPress): Intent[];
}

const act = (action: Action): Intent => ({ kind: 'action', action });
const effect = (e: Effect): Intent => ({ kind: 'effect', effect: e });
const status = (text: string, tone: 'info' | 'error' = 'info'): Intent => act({ type: 'status', text, tone });
const char = (c: string) => (input: string, key: KeyPress) => input === c && !key.ctrl && !key.meta;

/** Runs `fn` on the selected service, or says there is none. */
const onService = (state: DashState, fn: (row: Row) => Intent[]): Intent[] => {
  const row = selectedRow(state);
  return row ? fn(row) : [status('no service selected', 'error')];
};

/** `stack -p shop exec web sh`, with `--index` for an instance other than the first. */
export function execCommand(state: DashState, row: Row): string {
  return `${state.commandPrefix} exec ${row.instance > 1 ? `--index ${row.instance} ` : ''}${row.service} sh`;
}

/** The key table, in the order the help lists it. */
export const BINDINGS: readonly Binding[] = [
  {
    keys: '↑ ↓  k j',
    help: 'select a service',
    matches: (i, k) => Boolean(k.upArrow || k.downArrow) || char('k')(i, k) || char('j')(i, k),
    run: (_s, i, k) => [act({ type: 'move', by: k.upArrow || i === 'k' ? -1 : 1 })],
  },
  { keys: 'PgUp PgDn', help: 'select five up or down', matches: (_i, k) => Boolean(k.pageUp || k.pageDown), run: (_s, _i, k) => [act({ type: 'move', by: k.pageUp ? -5 : 5 })] },
  {
    keys: 'enter',
    hint: 'details', rank: 9,
    help: 'details of the selected service (again: back to the logs)',
    matches: (_i, k) => Boolean(k.return),
    run: (s) => [act({ type: 'pane', pane: s.pane === 'details' ? 'logs' : 'details' })],
  },
  { keys: 'l', hint: 'logs', rank: 4, help: "follow the selected service's logs", matches: char('l'), run: () => [act({ type: 'log-scope', scope: 'selected' })] },
  { keys: 'a', hint: 'all logs', rank: 5, help: 'follow all services, merged', matches: char('a'), run: () => [act({ type: 'log-scope', scope: 'all' })] },
  { keys: '/', hint: 'filter', rank: 3, help: 'filter the logs by a regex (enter applies, esc cancels)', matches: char('/'), run: () => [act({ type: 'filter-start' })] },
  { keys: 'p space', hint: 'pause', rank: 6, help: 'pause or resume the logs', matches: (i, k) => char('p')(i, k) || char(' ')(i, k), run: () => [act({ type: 'pause-toggle' })] },
  { keys: 't', hint: 'tree', rank: 8, help: 'the dependency tree', matches: char('t'), run: (s) => [act({ type: 'pane', pane: s.pane === 'tree' ? 'logs' : 'tree' })] },
  { keys: 'r', hint: 'restart', rank: 1, help: 'restart the selected service', matches: char('r'), run: (s) => onService(s, (r) => [effect({ kind: 'restart', service: r.service })]) },
  {
    keys: 's',
    hint: 'stop/start', rank: 2,
    help: 'stop the selected service, or start it when stopped',
    matches: char('s'),
    run: (s) => onService(s, (r) => [effect({ kind: 'toggle', service: r.service, running: s.rows.some((x) => x.service === r.service && x.state === 'running') })]),
  },
  { keys: 'b', hint: 'rebuild', rank: 7, help: 'rebuild and recreate the selected service', matches: char('b'), run: (s) => onService(s, (r) => [effect({ kind: 'rebuild', service: r.service })]) },
  {
    keys: 'x',
    hint: 'exec', rank: 7,
    help: 'the command that opens a shell in the selected container',
    matches: char('x'),
    run: (s) => onService(s, (r) => [status(`shell: ${execCommand(s, r)}${r.state === 'running' ? '' : `  (${r.name} is not running)`}`)]),
  },
  { keys: 'd', hint: 'down', rank: 7, help: 'take the whole stack down (asks first)', matches: char('d'), run: () => [act({ type: 'overlay', overlay: 'confirm-down' })] },
  {
    keys: 'esc',
    help: 'back to the logs; on the logs, clear the filter',
    matches: (_i, k) => Boolean(k.escape),
    run: (s) => (s.pane !== 'logs' ? [act({ type: 'pane', pane: 'logs' })] : s.filter ? [act({ type: 'filter-start' }), act({ type: 'filter-input', text: '' }), act({ type: 'filter-apply' })] : []),
  },
  { keys: '?', hint: 'help', rank: 10, help: 'this help', matches: char('?'), run: () => [act({ type: 'overlay', overlay: 'help' })] },
  { keys: 'q  ctrl-c', hint: 'quit', rank: 10, help: 'quit (the stack keeps running)', matches: char('q'), run: () => [effect({ kind: 'quit' })] },
];

/** What a key press does in the current state. */
export function keyIntents(state: DashState, input: string, key: KeyPress): Intent[] {
  if (key.ctrl && input === 'c') return [effect({ kind: 'quit' })];
  if (state.filterDraft !== undefined) return filterKeys(state.filterDraft, input, key);
  if (state.overlay === 'confirm-down') {
    if (input === 'y' || input === 'Y') return [act({ type: 'overlay' }), effect({ kind: 'down' })];
    if (input === 'n' || input === 'N' || input === 'q' || key.escape) return [act({ type: 'overlay' }), status(`${state.project} stays up`)];
    return [];
  }
  if (state.overlay === 'help') return input === 'q' ? [effect({ kind: 'quit' })] : [act({ type: 'overlay' })];
  const binding = BINDINGS.find((b) => b.matches(input, key));
  return binding ? binding.run(state, input, key) : [];
}

/** Typing the filter: enter applies, esc cancels, backspace deletes, ctrl-u clears. */
function filterKeys(draft: string, input: string, key: KeyPress): Intent[] {
  if (key.return) return [act({ type: 'filter-apply' })];
  if (key.escape) return [act({ type: 'filter-cancel' })];
  if (key.backspace || key.delete) return [act({ type: 'filter-input', text: draft.slice(0, -1) })];
  if (key.ctrl && input === 'u') return [act({ type: 'filter-input', text: '' })];
  if (key.ctrl || key.meta || key.upArrow || key.downArrow || key.tab || input === '') return [];
  return [act({ type: 'filter-input', text: draft + input })];
}

/**
 * The running view: header, services table, a lower pane (logs, details or the dependency tree),
 * the status line and the key hints; the help replaces table and pane while open. Keys become
 * state actions (dispatched here) and effects (handed to `onEffect`, which runs them).
 */
import { Box, Text, useInput } from 'ink';
import { keyIntents, type Effect } from '../keys.js';
import { MIN_SIZE, splitHeight } from '../layout.js';
import { selectedRow, type DashState } from '../model.js';
import { useDashState, type Store } from '../store.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { DependencyTree } from './DependencyTree.js';
import { DetailsPane } from './DetailsPane.js';
import { Header } from './Header.js';
import { HelpOverlay } from './HelpOverlay.js';
import { KeyHints } from './KeyHints.js';
import { LogPane } from './LogPane.js';
import { ServicesTable } from './ServicesTable.js';
import { StatusLine } from './StatusLine.js';
import { useTerminalSize, type Size } from './use-terminal-size.js';

export interface AppProps {
  store: Store;
  onEffect(effect: Effect): void;
  /** Fixed size (tests); else the terminal's. */
  size?: Size;
  now?: () => number;
}

export function App({ store, onEffect, size, now = Date.now }: AppProps) {
  const state = useDashState(store);
  const terminal = useTerminalSize();
  const { columns, rows } = size ?? terminal;
  useInput((input, key) => {
    // Keys typed quickly (or sent by tmux) can arrive as one chunk, "jjr": each is a key of its own.
    const plain = !key.ctrl && !key.meta && !key.escape && !key.return && !key.tab && !key.backspace && !key.delete;
    const chunks = plain && input.length > 1 ? [...input] : [input];
    for (const chunk of chunks) {
      for (const intent of keyIntents(store.getState(), chunk, key)) {
        if (intent.kind === 'action') store.dispatch(intent.action);
        else onEffect(intent.effect);
      }
    }
  });
  if (columns < MIN_SIZE.columns || rows < MIN_SIZE.rows) {
    return <Text>{`terminal too small (${columns}x${rows}; needs ${MIN_SIZE.columns}x${MIN_SIZE.rows}); q quits`.slice(0, columns)}</Text>;
  }
  // One column short of the terminal: a line that fills the last column can wrap on some terminals, and shift the frame.
  return <Dashboard state={state} width={columns - 1} height={rows} now={now()} />;
}

/** The whole running view for one state and size: what `App` draws, testable without input. */
export function Dashboard({ state, width, height, now }: { state: DashState; width: number; height: number; now: number }) {
  const { tableRows, paneRows } = splitHeight(height, state.rows.length);
  const row = selectedRow(state);
  const paneHeight = paneRows + 1;
  return (
    <Box flexDirection="column" width={width}>
      <Header state={state} width={width} />
      {state.overlay === 'help' ? (
        <Box flexDirection="column" height={tableRows + 1 + paneHeight}>
          <HelpOverlay width={width} height={tableRows + 1 + paneHeight} />
        </Box>
      ) : (
        <>
          <ServicesTable
            rows={state.rows}
            activity={state.activity}
            width={width}
            height={tableRows}
            now={now}
            empty={state.observed ? 'no services' : 'looking at the stack…'}
            {...(state.selected ? { selected: state.selected } : {})}
          />
          <Box flexDirection="column" height={paneHeight}>
            {state.pane === 'details' ? (
              <DetailsPane state={state} row={row} width={width} height={paneHeight} now={now} />
            ) : state.pane === 'tree' ? (
              <DependencyTree state={state} width={width} height={paneHeight} />
            ) : (
              <LogPane state={state} width={width} height={paneHeight} />
            )}
          </Box>
        </>
      )}
      {state.overlay === 'confirm-down' ? (
        <ConfirmDialog question={`Take ${state.project} down? Stops and removes its ${state.rows.filter((r) => r.state !== 'absent').length} container(s).`} width={width} />
      ) : (
        <StatusLine state={state} width={width} />
      )}
      <KeyHints width={width} />
    </Box>
  );
}

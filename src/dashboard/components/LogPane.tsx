/** The log pane: the selected service's lines or all merged, coloured by service, filtered, pausable. */
import { Box, Text } from 'ink';
import { fit } from '../layout.js';
import { activeFilter, selectedRow, visibleLogs, type DashState } from '../model.js';
import { useTheme } from '../theme.js';
import { PaneTitle } from './PaneTitle.js';

export interface LogPaneProps {
  state: DashState;
  width: number;
  /** Lines, the title included. */
  height: number;
}

export function LogPane({ state, width, height }: LogPaneProps) {
  const theme = useTheme();
  const lines = visibleLogs(state);
  const shown = lines.slice(Math.max(0, lines.length - (height - 1)));
  const nameWidth = Math.min(16, Math.max(0, ...shown.map((l) => l.name.length)));
  const row = selectedRow(state);
  const filter = activeFilter(state);
  const parts = [
    state.logScope === 'all' || !row ? 'all services' : row.name,
    ...(filter ? [`filter /${filter.source}/`] : []),
    ...(state.pausedAt !== undefined ? [`paused, ${state.logSeq - state.pausedAt} new`] : []),
  ];
  return (
    <Box flexDirection="column">
      <PaneTitle title="LOGS" detail={parts.join(' · ')} width={width} />
      {shown.length === 0 ? (
        <Text dimColor>{filter ? `  no lines match /${filter.source}/` : '  no log lines yet'}</Text>
      ) : (
        shown.map((l) => (
          <Text key={l.seq} wrap="truncate-end">
            <Text color={theme.service(l.service)}>{fit(l.name, nameWidth)}</Text>
            <Text dimColor> | </Text>
            <Text color={l.stream === 'stderr' ? theme.tone.fail : undefined}>{l.text.slice(0, Math.max(0, width - nameWidth - 3))}</Text>
          </Text>
        ))
      )}
    </Box>
  );
}

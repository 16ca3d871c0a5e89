/** The services table: one row per container (or service without one), the selected one marked. */
import { Box, Text } from 'ink';
import { cpuCell, healthCell, memoryCell, portsCell, stateCell, uptimeCell } from '../format.js';
import { fit, MARKER_WIDTH, scrollStart, tableColumns, type ColumnId } from '../layout.js';
import type { DashState, Row, Tone } from '../model.js';
import { useTheme } from '../theme.js';

export interface ServicesTableProps {
  rows: Row[];
  selected?: string;
  activity: DashState['activity'];
  width: number;
  /** Rows of the table body (the header comes on top). */
  height: number;
  now: number;
  /** Said when there are no rows. */
  empty?: string;
}

export function ServicesTable({ rows, selected, activity, width, height, now, empty = 'no services' }: ServicesTableProps) {
  const theme = useTheme();
  const columns = tableColumns(width, Math.max(0, ...rows.map((r) => r.name.length)));
  const at = Math.max(0, rows.findIndex((r) => r.key === selected));
  const start = scrollStart(at, rows.length, height);
  const shown = rows.slice(start, start + height);
  return (
    <Box flexDirection="column">
      <Text bold>
        {' '.repeat(MARKER_WIDTH)}
        {columns.map((c) => fit(c.header, c.width)).join(' ')}
      </Text>
      {shown.length === 0 ? <Text dimColor>{`  ${empty}`}</Text> : null}
      {shown.map((row) => {
        const isSelected = row.key === (selected ?? rows[0]?.key);
        return (
          <Text key={row.key} inverse={isSelected} wrap="truncate-end">
            <Text color={theme.accent}>{isSelected ? '❯ ' : '  '}</Text>
            {columns.map((c, i) => {
              const cell = cellOf(c.id, row, activity, now);
              return (
                <Text key={c.id} color={cell.tone ? theme.tone[cell.tone] : undefined}>
                  {(i > 0 ? ' ' : '') + fit(cell.text, c.width)}
                </Text>
              );
            })}
          </Text>
        );
      })}
    </Box>
  );
}

function cellOf(id: ColumnId, row: Row, activity: DashState['activity'], now: number): { text: string; tone?: Tone } {
  switch (id) {
    case 'name':
      return { text: row.name };
    case 'instance':
      return { text: row.state === 'absent' ? '' : String(row.instance) };
    case 'state':
      return stateCell(row, activity);
    case 'health':
      return healthCell(row);
    case 'uptime':
      return { text: uptimeCell(row, now) };
    case 'restarts':
      return { text: row.state === 'absent' ? '' : String(row.restarts), ...(row.restarts > 0 ? { tone: 'busy' as const } : {}) };
    case 'cpu':
      return { text: cpuCell(row) };
    case 'memory':
      return { text: memoryCell(row) };
    case 'ports':
      return { text: portsCell(row.ports) };
    case 'host':
      return { text: row.host ?? '' };
  }
}

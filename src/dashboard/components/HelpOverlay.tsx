/** The help: every key and what it does, from the same table the keys are handled by. */
import { Box, Text } from 'ink';
import { BINDINGS } from '../keys.js';
import { fit } from '../layout.js';
import { useTheme } from '../theme.js';
import { PaneTitle } from './PaneTitle.js';

export function HelpOverlay({ width, height }: { width: number; height: number }) {
  const theme = useTheme();
  const lines = BINDINGS.filter((b) => b.help !== '');
  const room = Math.max(0, height - 2);
  return (
    <Box flexDirection="column">
      <PaneTitle title="HELP" detail="any key closes it" width={width} />
      {lines.slice(0, room).map((b) => (
        <Text key={b.keys} wrap="truncate-end">
          <Text bold color={theme.accent}>
            {fit(` ${b.keys}`, 13)}
          </Text>
          {b.help}
        </Text>
      ))}
      {height - 1 > lines.length ? <Text dimColor> Actions run on the selected service; their progress shows in its STATE.</Text> : null}
    </Box>
  );
}

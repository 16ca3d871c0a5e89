/** The rule over the lower pane: `── LOGS ── all services · filter /x/ ─────`. */
import { Text } from 'ink';
import { useTheme } from '../theme.js';

export function PaneTitle({ title, detail, width }: { title: string; detail?: string; width: number }) {
  const theme = useTheme();
  const head = `── ${title} `;
  const tail = detail ? `── ${detail} ` : '';
  const rule = '─'.repeat(Math.max(0, width - head.length - tail.length));
  return (
    <Text wrap="truncate-end">
      <Text color={theme.accent} bold>
        {head}
      </Text>
      <Text>{tail}</Text>
      <Text dimColor>{rule}</Text>
    </Text>
  );
}

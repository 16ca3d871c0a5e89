/** A question that needs a y or an n, on one line where the status usually is. */
import { Text } from 'ink';
import { useTheme } from '../theme.js';

export function ConfirmDialog({ question, width }: { question: string; width: number }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate-end" bold>
      <Text color={theme.status.error} inverse>
        {` ${question} `}
      </Text>
      <Text>{' y / n'.slice(0, Math.max(0, width - question.length - 2))}</Text>
    </Text>
  );
}

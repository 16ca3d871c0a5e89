/** The status line: the filter being typed, else the last thing that happened (an action's outcome, an error). */
import { Text } from 'ink';
import { compileFilter, type DashState } from '../model.js';
import { useTheme } from '../theme.js';

const MARK = { info: 'ℹ', busy: '…', ok: '✔', error: '✘' } as const;

export function StatusLine({ state, width }: { state: DashState; width: number }) {
  const theme = useTheme();
  if (state.filterDraft !== undefined) {
    const compiled = compileFilter(state.filterDraft);
    const problem = compiled && 'error' in compiled ? `  (${compiled.error})` : '';
    return (
      <Text wrap="truncate-end">
        <Text bold color={theme.accent}>
          /
        </Text>
        {state.filterDraft}
        <Text inverse> </Text>
        <Text color={theme.status.error}>{problem}</Text>
        <Text dimColor>{problem ? '' : '  enter applies, esc cancels'}</Text>
      </Text>
    );
  }
  const status = state.busy && state.status?.tone !== 'error' ? { text: state.busy, tone: 'busy' as const } : state.status;
  if (!status) return <Text dimColor>{`watching ${state.project}`.slice(0, width)}</Text>;
  return (
    <Text wrap="truncate-end" color={theme.status[status.tone]}>
      {`${MARK[status.tone]} ${status.text}`}
    </Text>
  );
}

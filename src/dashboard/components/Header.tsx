/** The top line: the project and how it is doing, in a few counts. */
import { Text } from 'ink';
import type { DashState } from '../model.js';
import { useTheme } from '../theme.js';

export function Header({ state, width }: { state: DashState; width: number }) {
  const theme = useTheme();
  const containers = state.rows.filter((r) => r.state !== 'absent');
  const running = containers.filter((r) => r.state === 'running').length;
  const unhealthy = containers.filter((r) => r.health === 'unhealthy').length;
  const failed = containers.filter((r) => (r.state === 'exited' && (r.exitCode ?? 0) !== 0) || r.state === 'dead').length;
  const counts = state.down
    ? 'down'
    : !state.observed
      ? 'looking…'
      : [`${running}/${containers.length} running`, ...(unhealthy ? [`${unhealthy} unhealthy`] : []), ...(failed ? [`${failed} failed`] : [])].join(' · ');
  const right = '? help  q quit';
  const left = `hafen · ${state.project} · `;
  const room = Math.max(0, width - left.length - right.length - 1);
  return (
    <Text wrap="truncate-end">
      <Text bold color={theme.accent}>
        {left}
      </Text>
      <Text color={unhealthy || failed ? theme.tone.fail : theme.tone.ok}>{counts.slice(0, room).padEnd(room)}</Text>
      <Text dimColor> {right}</Text>
    </Text>
  );
}

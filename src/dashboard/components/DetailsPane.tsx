/** The details pane: what the selected container runs and how it is doing. */
import { Box, Text } from 'ink';
import { portsCell, stateCell, uptimeCell } from '../format.js';
import { fit } from '../layout.js';
import type { DashState, Row } from '../model.js';
import { useTheme } from '../theme.js';
import { PaneTitle } from './PaneTitle.js';

export interface DetailsPaneProps {
  state: DashState;
  row: Row | undefined;
  width: number;
  height: number;
  now: number;
}

/** The label/value lines of the details, environment last (one variable a line). */
export function detailLines(state: DashState, row: Row, now: number): [string, string][] {
  const service = state.services.find((s) => s.name === row.service);
  const uptime = uptimeCell(row, now);
  const lines: [string, string][] = [
    ['state', `${stateCell(row, state.activity).text}${uptime ? ` for ${uptime}` : ''}, ${row.restarts} restart(s)`],
    ['exit code', row.state === 'running' || row.exitCode === undefined ? '-' : `${row.exitCode}${row.oomKilled ? ' (OOM killed)' : ''}`],
    ['health', row.health],
    ['image', row.image ?? service?.image ?? '-'],
    ['command', service?.command ? service.command.join(' ') : '(the image\'s)'],
    ['container', row.container ?? '(not created)'],
    ['runtime', row.host ?? '-'],
    ['networks', Object.entries(row.addresses).map(([n, a]) => `${n} ${a}`).join(', ') || (service?.networks.join(', ') ?? '-')],
    ['ports', portsCell(row.ports) || '-'],
    ...(state.probes[row.name] ?? []).map((p): [string, string] => ['readiness', `${p.check}: ${p.ok ? 'ok' : p.detail} (attempt ${p.attempt})`]),
  ];
  const env = Object.entries(service?.environment ?? {});
  env.forEach(([k, v], i) => lines.push([i === 0 ? 'environment' : '', `${k}=${v}`]));
  return lines;
}

export function DetailsPane({ state, row, width, height, now }: DetailsPaneProps) {
  const theme = useTheme();
  const lines = row ? detailLines(state, row, now).slice(0, height - 1) : [];
  return (
    <Box flexDirection="column">
      <PaneTitle title="DETAILS" detail={row ? row.name : 'nothing selected'} width={width} />
      {lines.map(([label, value], i) => (
        <Text key={i} wrap="truncate-end">
          <Text color={theme.accent}>{fit(label, 12)}</Text>
          {value.slice(0, Math.max(0, width - 12))}
        </Text>
      ))}
    </Box>
  );
}

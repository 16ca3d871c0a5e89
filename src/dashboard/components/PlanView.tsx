/**
 * `up --dash` while the plan runs: finished lines (ready, exited, failed, built …) in `<Static>`,
 * printed once and kept above; the lines still under way live below them, redrawn in place.
 */
import { Box, Static, Text } from 'ink';
import { useEffect, useState } from 'react';
import { formatDuration } from '../../format/duration.js';
import type { DoneLine, Tone } from '../model.js';
import { useDashState, type Store } from '../store.js';
import { useTheme } from '../theme.js';

const SYMBOL: Record<Tone, string> = { idle: '·', busy: '…', ok: '✔', fail: '✘' };

export function PlanView({ store, now = Date.now }: { store: Store; now?: () => number }) {
  const state = useDashState(store);
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 500);
    return () => clearInterval(timer);
  }, []);
  const plan = state.plan;
  const width = Math.max(0, ...(plan?.names ?? []).map((n) => n.length), ...state.doneLines.map((l) => l.label.length));
  return (
    <>
      <Static items={state.doneLines}>{(line) => <PlanLine key={line.id} line={line} width={width} />}</Static>
      <Box flexDirection="column">
        {Object.entries(plan?.live ?? {}).map(([label, row]) => (
          <PlanLine key={label} line={{ id: -1, label, text: row.text, tone: row.tone, more: [] }} width={width} />
        ))}
        {plan?.done ? null : (
          <Text dimColor>{plan ? `${state.project}: ${plan.action} · ${formatDuration(now() - plan.startedAt)} · Ctrl-C stops` : `${state.project}: planning…`}</Text>
        )}
      </Box>
    </>
  );
}

function PlanLine({ line, width }: { line: DoneLine; width: number }) {
  const theme = useTheme();
  const color = theme.tone[line.tone];
  return (
    <Box flexDirection="column">
      {line.text === '' ? null : (
        <Text wrap="truncate-end">
          <Text color={color}>{SYMBOL[line.tone]}</Text>
        <Text>{` ${line.label.padEnd(width)}  `}</Text>
          <Text color={line.tone === 'fail' || line.tone === 'idle' ? color : undefined}>{line.text}</Text>
        </Text>
      )}
      {line.more.map((m, i) => (
        <Text key={i} color={theme.tone.fail} wrap="truncate-end">{`  ${' '.repeat(width)}  ${m}`}</Text>
      ))}
    </Box>
  );
}

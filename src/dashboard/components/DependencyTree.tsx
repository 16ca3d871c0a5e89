/** The dependency tree: each service that nothing needs, with what it needs below it, and their states. */
import { Box, Text } from 'ink';
import { stateCell } from '../format.js';
import type { DashState, ServiceEntry, Tone } from '../model.js';
import { useTheme } from '../theme.js';
import { PaneTitle } from './PaneTitle.js';

export interface TreeLine {
  prefix: string;
  service: string;
  state: string;
  tone: Tone;
  /** `healthy`, `started`, `completed`: what its parent waits for. */
  waitsFor?: string;
  /** Shown in full further up. */
  repeated: boolean;
}

const WAITS: Record<string, string> = {
  service_started: 'started',
  service_healthy: 'healthy',
  service_completed_successfully: 'completed',
};

/** The tree as lines, top-level services (that nothing depends on) first; a subtree shown once. */
export function treeLines(state: DashState): TreeLine[] {
  const byName = new Map(state.services.map((s) => [s.name, s]));
  const needed = new Set(state.services.flatMap((s) => s.dependsOn.map((d) => d.to)));
  const out: TreeLine[] = [];
  const expanded = new Set<string>();
  const stateOf = (service: string): { text: string; tone: Tone } => {
    const rows = state.rows.filter((r) => r.service === service);
    const running = rows.filter((r) => r.state === 'running').length;
    if (rows.length > 1) return { text: `${running}/${rows.length} running`, tone: running === rows.length ? 'ok' : running > 0 ? 'busy' : 'idle' };
    return rows[0] ? stateCell(rows[0], state.activity) : { text: 'not created', tone: 'idle' };
  };
  const walk = (entry: ServiceEntry, prefix: string, childPrefix: string, waitsFor?: string): void => {
    const repeated = expanded.has(entry.name);
    out.push({ prefix, service: entry.name, ...toLine(stateOf(entry.name)), ...(waitsFor ? { waitsFor } : {}), repeated: repeated && entry.dependsOn.length > 0 });
    if (repeated) return;
    expanded.add(entry.name);
    entry.dependsOn.forEach((d, i) => {
      const child = byName.get(d.to);
      if (!child) return;
      const last = i === entry.dependsOn.length - 1;
      walk(child, `${childPrefix}${last ? '└─ ' : '├─ '}`, `${childPrefix}${last ? '   ' : '│  '}`, WAITS[d.condition] ?? d.condition);
    });
  };
  for (const s of state.services) if (!needed.has(s.name)) walk(s, '', '');
  return out;
}

function toLine(s: { text: string; tone: Tone }): { state: string; tone: Tone } {
  return { state: s.text, tone: s.tone };
}

export function DependencyTree({ state, width, height }: { state: DashState; width: number; height: number }) {
  const theme = useTheme();
  const lines = treeLines(state);
  const room = height - 1;
  const shown = lines.length <= room ? lines : lines.slice(0, Math.max(0, room - 1));
  return (
    <Box flexDirection="column">
      <PaneTitle title="DEPENDENCIES" detail="each service above what it needs" width={width} />
      {shown.map((l, i) => (
        <Text key={i} wrap="truncate-end">
          <Text dimColor>{l.prefix}</Text>
          <Text bold color={theme.service(l.service)}>
            {l.service}
          </Text>
          <Text color={theme.tone[l.tone]}>{`  ${l.state}`}</Text>
          <Text dimColor>{`${l.waitsFor ? `  (needed ${l.waitsFor})` : ''}${l.repeated ? '  (see above)' : ''}`}</Text>
        </Text>
      ))}
      {shown.length < lines.length ? <Text dimColor>{`  … ${lines.length - shown.length} more`}</Text> : null}
    </Box>
  );
}

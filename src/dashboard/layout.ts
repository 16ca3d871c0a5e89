/**
 * How the dashboard fits a terminal: which table columns there is room for (the least needed go
 * first as it narrows) and how the height splits between the table and the pane below. Pure.
 */

export type ColumnId = 'name' | 'instance' | 'state' | 'health' | 'uptime' | 'restarts' | 'cpu' | 'memory' | 'ports' | 'host';

export interface Column {
  id: ColumnId;
  header: string;
  width: number;
}

interface ColumnSpec extends Column {
  /** Higher stays longer when the terminal narrows. */
  keep: number;
  /** Takes the width left over (at least `width`). */
  flex?: boolean;
}

const SPECS: readonly ColumnSpec[] = [
  { id: 'name', header: 'SERVICE', width: 7, keep: 100 },
  { id: 'instance', header: '#', width: 2, keep: 10 },
  { id: 'state', header: 'STATE', width: 11, keep: 90 },
  { id: 'health', header: 'HEALTH', width: 9, keep: 80 },
  { id: 'uptime', header: 'UPTIME', width: 7, keep: 50 },
  { id: 'restarts', header: 'RESTARTS', width: 8, keep: 70 },
  { id: 'cpu', header: 'CPU %', width: 5, keep: 60 },
  { id: 'memory', header: 'MEMORY', width: 9, keep: 55 },
  { id: 'ports', header: 'PORTS', width: 12, keep: 40, flex: true },
  { id: 'host', header: 'RUNTIME', width: 8, keep: 5 },
];

/** Width of the selection marker before each row. */
export const MARKER_WIDTH = 2;

/** The columns that fit `width`, with their widths; `nameWidth` is the longest service name. */
export function tableColumns(width: number, nameWidth: number): Column[] {
  let specs = SPECS.map((s) => (s.id === 'name' ? { ...s, width: Math.min(24, Math.max(s.width, nameWidth)) } : s));
  const total = (cols: readonly ColumnSpec[]): number => MARKER_WIDTH + cols.reduce((n, c) => n + c.width, 0) + cols.length - 1;
  while (total(specs) > width && specs.length > 1) {
    const least = specs.reduce((a, b) => (b.keep < a.keep ? b : a));
    specs = specs.filter((s) => s !== least);
  }
  const spare = Math.max(0, width - total(specs));
  return specs.map(({ id, header, width: w, flex }) => ({ id, header, width: flex ? w + spare : w }));
}

/** Lines the dashboard draws besides the table rows and the pane: header, table header, pane title, status, hints. */
const CHROME = 5;

/** The smallest terminal the dashboard draws in; below it, a line asking for more room. */
export const MIN_SIZE = { columns: 40, rows: 10 };

/**
 * How many table rows and pane lines fit `rows`. The frame stays one line short of the terminal,
 * so Ink redraws in place instead of clearing the screen (which flickers).
 */
export function splitHeight(rows: number, services: number): { tableRows: number; paneRows: number } {
  const room = Math.max(2, rows - 1 - CHROME);
  const tableRows = Math.max(1, Math.min(services, Math.floor(room / 2)));
  return { tableRows, paneRows: Math.max(1, room - tableRows) };
}

/** The first row to show so that `selected` stays in a window of `size` rows. */
export function scrollStart(selected: number, count: number, size: number): number {
  if (count <= size) return 0;
  return Math.min(Math.max(0, selected - Math.floor(size / 2)), count - size);
}

/** `text` cut to `width`, with an ellipsis when cut. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text.padEnd(width) : `${text.slice(0, Math.max(0, width - 1))}…`;
}

import { describe, expect, it } from 'vitest';
import { MARKER_WIDTH, scrollStart, splitHeight, tableColumns } from './layout.js';

const ids = (width: number): string => tableColumns(width, 8).map((c) => c.id).join(' ');
const used = (width: number): number => {
  const cols = tableColumns(width, 8);
  return MARKER_WIDTH + cols.reduce((n, c) => n + c.width, 0) + cols.length - 1;
};

describe('layout', () => {
  it.each([
    [120, 'name instance state health uptime restarts cpu memory ports host'],
    [100, 'name instance state health uptime restarts cpu memory ports host'],
    [80, 'name state health uptime restarts cpu memory ports'],
    [60, 'name state health restarts cpu memory'],
    [40, 'name state health'],
  ])('at %i columns the table shows: %s', (width, expected) => {
    expect(ids(width)).toBe(expected);
    expect(used(width)).toBeLessThanOrEqual(width);
  });

  it('gives the ports what is left over', () => {
    expect(tableColumns(120, 8).find((c) => c.id === 'ports')!.width).toBe(42);
    expect(used(120)).toBe(120);
  });

  it('splits the height between table and pane, one line short of the terminal', () => {
    expect(splitHeight(24, 4)).toEqual({ tableRows: 4, paneRows: 14 });
    expect(splitHeight(24, 30)).toEqual({ tableRows: 9, paneRows: 9 });
    expect(splitHeight(40, 3)).toEqual({ tableRows: 3, paneRows: 31 });
  });

  it('scrolls the table to keep the selection in view', () => {
    expect(scrollStart(0, 30, 9)).toBe(0);
    expect(scrollStart(15, 30, 9)).toBe(11);
    expect(scrollStart(29, 30, 9)).toBe(21);
  });
});

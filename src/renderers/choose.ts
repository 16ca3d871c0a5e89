/** `--progress auto|tty|plain|json` and whether the output is a terminal → the renderer to use. */
import type { ChalkInstance } from 'chalk';
import type { EventSink } from '../executor/events.js';
import { assertNever } from '../planner/plan.js';
import { jsonRenderer } from './json.js';
import { plainRenderer } from './plain.js';
import { ttyRenderer } from './tty.js';

/** The progress modes the CLI accepts. */
export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'json'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** Where progress goes: a stream such as process.stderr. */
export interface RenderTarget {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/** The renderer for a mode; `tty` (and `auto`) draw live lines only on a terminal, and write plain lines otherwise. */
export function chooseRenderer(mode: ProgressMode, target: RenderTarget, chalk: ChalkInstance): EventSink {
  const write = (text: string): void => void target.write(text);
  switch (mode) {
    case 'auto':
    case 'tty':
      return target.isTTY ? ttyRenderer(target, chalk) : plainRenderer(write);
    case 'plain':
      return plainRenderer(write);
    case 'json':
      return jsonRenderer(write);
    default:
      return assertNever(mode);
  }
}

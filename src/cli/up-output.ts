/**
 * What Compose's output flags of `up` change in the event stream before the renderer: the log lines
 * of an attached `up` as `--no-log-prefix` and `--timestamps` ask (the renderer prints them as
 * `name  | text` otherwise; JSON progress keeps its events, which carry the name and time already),
 * and no pull progress with `--quiet-pull`.
 */
import type { ChalkInstance } from 'chalk';
import type { EventSink } from '../executor/events.js';
import { colorOfService } from './service-colors.js';

/** How each line is shown. */
export interface LogLineFormat {
  prefix: boolean;
  timestamps: boolean;
}

/** `sink` with its `log` events written by `write` in `format`, when the format differs from the renderer's. */
export function attachedLogSink(sink: EventSink, format: LogLineFormat, json: boolean, write: (line: string) => void, color: ChalkInstance): EventSink {
  if (json || (format.prefix && !format.timestamps)) return sink;
  let width = 0;
  return (e) => {
    if (e.kind !== 'log') return sink(e);
    width = Math.max(width, e.name.length);
    const prefix = format.prefix ? `${colorOfService(color, e.service)(e.name.padEnd(width))} | ` : '';
    const time = format.timestamps ? `${new Date(e.time).toISOString()} ` : '';
    write(`${prefix}${time}${e.text}`);
  };
}

/** `sink` without the progress lines of pulls (`--quiet-pull`); that a pull began and ended is still told. */
export function withoutPullProgress(sink: EventSink): EventSink {
  return (e) => {
    if (e.kind === 'op-progress' && e.operation === 'pull-image') return;
    sink(e);
  };
}

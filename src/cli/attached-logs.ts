/**
 * The log lines of an attached `up` as Compose's `--no-log-prefix` and `--timestamps` ask: the
 * progress renderer prints them as `name  | text` otherwise. JSON progress keeps its events (they
 * carry the name and time already).
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

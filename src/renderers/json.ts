/**
 * The JSON renderer (`--progress json`): every event as one JSON object on its own line, with the
 * field names of `Event` (`kind` and `time` first). Tools read these; the names are kept stable.
 */
import type { EventSink } from '../executor/events.js';
import type { TextWriter } from './plain.js';

/** A sink that writes one JSON object per event and line. */
export function jsonRenderer(write: TextWriter): EventSink {
  return (e) => write(`${JSON.stringify(e)}\n`);
}

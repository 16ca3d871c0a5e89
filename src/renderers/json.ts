/**
 * The JSON renderer (`--progress json`): every event as one JSON object on its own line, with the
 * field names of `Event` (`kind` and `time` first). Tools read these; the names are kept stable.
 */
import type { EventSink } from '../executor/events.js';
import { MACHINE_OUTPUT_VERSION } from './machine-lines.js';
import type { TextWriter } from './plain.js';

/** A sink that writes one JSON object per event and line, each with the schema version `v` first. */
export function jsonRenderer(write: TextWriter): EventSink {
  return (e) => write(`${JSON.stringify({ v: MACHINE_OUTPUT_VERSION, ...e })}\n`);
}

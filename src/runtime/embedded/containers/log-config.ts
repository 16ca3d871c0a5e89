/**
 * A service's `logging:` as the embedded runtime keeps logs: json-file and local write hafen's
 * timestamped log file, rotated by `max-size` and `max-file` as Docker rotates; `none` keeps no
 * log. The planner's table refuses, before anything runs, the drivers and options not here.
 */
import type { Logging } from '../../../config/model.js';
import { parseSize } from '../../../config/units.js';
import type { LaunchSpec } from '../launcher/spec.js';

/** hafen's default without `logging:`: 10 MiB, rotated once (two files). */
export const LOG_MAX_BYTES = 10 * 1024 * 1024;

/** Drivers the embedded runtime honours, and the options each takes. */
export const EMBEDDED_LOG_DRIVERS: Readonly<Record<string, readonly string[]>> = {
  'json-file': ['max-size', 'max-file'],
  local: ['max-size', 'max-file'],
  none: [],
};

/** Docker's defaults per driver when an option is not given (local: 20m × 5; json-file: no cap, one file). */
const DEFAULTS: Record<string, { maxBytes: number; files: number }> = {
  'json-file': { maxBytes: 0, files: 1 },
  local: { maxBytes: 20 * 1024 * 1024, files: 5 },
};

/** The launcher's log settings for `logging` (undefined: no log file), writing to `file`. */
export function launchLog(logging: Logging | undefined, file: string): LaunchSpec['log'] {
  if (!logging) return { file, maxBytes: LOG_MAX_BYTES };
  if (logging.driver === 'none') return undefined;
  const defaults = DEFAULTS[logging.driver] ?? DEFAULTS['json-file']!;
  const size = logging.options['max-size'];
  const count = logging.options['max-file'];
  // Docker's "-1" means no cap, as does leaving it out for json-file.
  const maxBytes = size === undefined ? defaults.maxBytes : size === '-1' ? 0 : parseSize(size);
  const files = count === undefined ? defaults.files : Number(count);
  return { file, maxBytes, ...(maxBytes > 0 ? { files } : {}) };
}

/** Why the embedded runtime cannot honour `logging`, or undefined when it can. */
export function embeddedLoggingProblem(logging: Logging | undefined): string | undefined {
  if (!logging) return undefined;
  const options = EMBEDDED_LOG_DRIVERS[logging.driver];
  if (!options) return `logging driver "${logging.driver}" is not available on the embedded runtime (it keeps json-file style logs, or none)`;
  const unknown = Object.keys(logging.options).find((o) => !options.includes(o));
  if (unknown) return `logging option "${unknown}" of ${logging.driver} is not honoured on the embedded runtime (only ${options.join(' and ') || 'none'})`;
  const size = logging.options['max-size'];
  if (size !== undefined && size !== '-1') {
    try {
      if (parseSize(size) <= 0) return `logging max-size ${JSON.stringify(size)} must be more than 0`;
    } catch {
      return `logging max-size ${JSON.stringify(size)} is not a size like 10m or 512k`;
    }
  }
  const count = logging.options['max-file'];
  if (count !== undefined && !/^[1-9]\d*$/.test(count)) return `logging max-file ${JSON.stringify(count)} must be a whole number of at least 1`;
  return undefined;
}

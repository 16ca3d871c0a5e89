/**
 * File modes (`secrets[].mode`, `configs[].mode`, `volumes[].tmpfs.mode`) as Compose reads them.
 * A number is the number YAML gives: hafen reads plain scalars as go-yaml does (yaml-scalar.ts), so
 * `0440` and `0o440` are already octal (288), while `440` is the decimal number 440 (octal 670),
 * exactly as in Compose (compose-go types.FileMode takes the decoded int; docker compose passes the
 * tmpfs mode to the engine as os.FileMode of the number). A string is octal digits, as compose-go's
 * FileMode reads it (strconv.ParseInt(s, 8)): "0440" and "440" are both 288.
 */
import { ValueError } from './issues.js';

/** The largest mode: permission bits plus setuid, setgid and sticky. */
export const MAX_FILE_MODE = 0o7777;

const OCTAL_TEXT = /^(?:0[oO])?([0-7]+)$/;

/** A mode as written (number or octal string) → the mode's number; throws ValueError for anything else. */
export function parseFileMode(value: number | string): number {
  let mode: number;
  if (typeof value === 'string') {
    const m = OCTAL_TEXT.exec(value.trim());
    if (!m) throw new ValueError(`expected a file mode in octal digits like "0440", got ${JSON.stringify(value)}`);
    mode = parseInt(m[1]!, 8);
  } else {
    mode = value;
  }
  if (!Number.isInteger(mode) || mode < 0 || mode > MAX_FILE_MODE) {
    throw new ValueError(`${typeof value === 'string' ? JSON.stringify(value) : value} is not a file mode; write it in octal like 0o440 or 0440 (at most 0o7777)`);
  }
  return mode;
}

/**
 * A warning for a mode written as a plain number of octal digits without a leading 0: Compose (and
 * so hafen) reads it as the decimal number (`mode: 1777` is 0o3361, not the sticky 0o1777).
 * `written` is the scalar's text; undefined when there is nothing to say.
 */
export function decimalModeWarning(written: string): string | undefined {
  if (!/^[1-7][0-7]+$/.test(written)) return undefined;
  const value = Number(written);
  return `${value} is the decimal number ${value} (octal ${value.toString(8)}), as Compose reads it; for the octal mode write 0o${value} or 0${value}`;
}

/** A mode written back in Compose's form for file modes: octal digits with a leading 0 ("0440"). */
export function formatFileMode(mode: number): string {
  return `0${mode.toString(8)}`;
}

/**
 * HEALTHCHECK as BuildKit reads it: `NONE`, or `[--interval= --timeout= --start-period=
 * --start-interval= --retries=] CMD command` in exec or shell form, durations in Go's syntax.
 */
import { parseFlags, type FlagSpec } from './flags.js';
import { parseGoDuration } from './go-duration.js';
import { isGoSpace } from './go-text.js';
import { maybeJson } from './words.js';
import { InstructionError } from './instruction-error.js';
import type { HealthcheckConfig } from './instructions.js';

const HEALTHCHECK_FLAGS: FlagSpec = {
  interval: 'string',
  timeout: 'string',
  'start-period': 'string',
  'start-interval': 'string',
  retries: 'string',
};

/** Parses HEALTHCHECK's arguments after the instruction name; `flags` are its `--options`. */
export function parseHealthcheck(rest: string, flags: string[]): HealthcheckConfig {
  let sep = 0;
  while (sep < rest.length && !isGoSpace(rest[sep]!)) sep++;
  let next = sep;
  while (next < rest.length && isGoSpace(rest[next]!)) next++;
  if (sep === 0) throw new InstructionError('HEALTHCHECK requires at least one argument');
  const type = rest.slice(0, sep).toUpperCase();
  const cmdRest = rest.slice(next);
  const none: HealthcheckConfig = { test: ['NONE'], intervalNs: 0, timeoutNs: 0, startPeriodNs: 0, startIntervalNs: 0, retries: 0 };
  if (type === 'NONE') {
    if (cmdRest !== '') throw new InstructionError('HEALTHCHECK NONE takes no arguments');
    return none;
  }
  const f = parseFlags(flags, HEALTHCHECK_FLAGS);
  if (type !== 'CMD') throw new InstructionError(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  const json = maybeJson(cmdRest);
  let test: string[];
  if (json.json) {
    if (json.args.length === 0) throw new InstructionError('Missing command after HEALTHCHECK CMD');
    test = ['CMD', ...json.args];
  } else {
    if (cmdRest === '') throw new InstructionError('Missing command after HEALTHCHECK CMD');
    test = ['CMD-SHELL', cmdRest];
  }
  const interval = (flag: string): number => {
    const value = f.string(flag);
    if (value === undefined || value === '') return 0;
    const ns = parseGoDuration(value);
    if (ns === 0) return 0;
    if (ns < 1e6) throw new InstructionError(`Interval ${JSON.stringify(flag)} cannot be less than 1ms`);
    return ns;
  };
  let retries = 0;
  const r = f.string('retries');
  if (r !== undefined && r !== '') {
    if (!/^[+-]?\d+$/.test(r)) throw new InstructionError(`--retries: invalid number ${JSON.stringify(r)}`);
    retries = Number.parseInt(r, 10);
    if (retries < 0) throw new InstructionError(`--retries cannot be negative (${retries})`);
  }
  return {
    test,
    intervalNs: interval('interval'),
    timeoutNs: interval('timeout'),
    startPeriodNs: interval('start-period'),
    startIntervalNs: interval('start-interval'),
    retries,
  };
}

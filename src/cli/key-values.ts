/** `KEY=VALUE` options (`--env`, `--build-arg`) as a record; a malformed one is bad usage naming the option. */
import { UsageError } from '../errors.js';

export function parseKeyValues(items: readonly string[], option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of items) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`${option} ${kv}: expected KEY=VALUE`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

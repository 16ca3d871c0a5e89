/** Collects config problems while normalizing, pinned to the key paths they are about. */
import { ConfigError, type ConfigIssue } from '../errors.js';
import { sortIssues, type StackSourceMap } from './source-map.js';

/** A bad value; whoever catches it knows which key it came from. */
export class ValueError extends Error {}

/** Problems found so far; thrown together, first by position first. */
export class Issues {
  readonly list: ConfigIssue[] = [];
  constructor(readonly source: StackSourceMap) {}

  /** The value at `path` is wrong. */
  value(path: string, message: string): void {
    this.list.push(this.source.valueIssue(path, message));
  }

  /** The entry at `path` (its key, for map entries) is wrong. */
  key(path: string, message: string): void {
    this.list.push(this.source.keyIssue(path, message));
  }

  /** Runs `fn`; a ValueError it throws becomes an issue about the value at `path`. */
  check<T>(path: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      this.value(path, err.message);
      return undefined;
    }
  }

  /** Throws every issue found, if any. */
  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigError(sortIssues(this.list));
  }
}

/** Where each key path of a stack file was written, so errors found later can point at it. */
import type { ConfigIssue, SourceLocation } from '../errors.js';
import type { SourceMap } from './model.js';

/** A 1-based line and column. */
export interface Pos {
  line: number;
  col: number;
}

/** A path into the YAML tree: map keys and sequence indices. */
export type PathSegment = string | number;

/** Formats a path the way messages show it: `services.api.ports[0]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** Parent of a formatted path, or undefined for the root: `a.b[0]` → `a.b` → `a` → ``. */
function parentPath(path: string): string | undefined {
  if (path === '') return undefined;
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return cut <= 0 ? '' : path.slice(0, cut);
}

/** A 1-based line and column in a named file (several files make one stack). */
export interface FilePos extends Pos {
  file: string;
}

interface Entry {
  /** Where the key was written (map entries only). */
  key?: FilePos;
  /** Where the value starts. */
  value: FilePos;
  /** The key path as written in its file, when it differs from the merged tree's (see Loc.path). */
  written?: string;
}

/**
 * Positions by formatted key path, each in the file that holds it (merged files, `extends` and
 * `include` make one tree from several). Normalization adds the long-form paths it invents
 * (`services.api.depends_on.db` for a list item), pointing at what the user wrote.
 */
export class StackSourceMap implements SourceMap {
  private readonly entries = new Map<string, Entry>();

  /** @param file the (first) stack file as the user named it, for paths never written anywhere */
  constructor(readonly file: string) {}

  /** Records a position; the first record of a path wins (normalization never overrides the parser). */
  set(path: string, entry: Entry): void {
    if (!this.entries.has(path)) this.entries.set(path, entry);
  }

  /** Makes `path` point where `existing` was written (its position only: the path stays `path`). */
  alias(path: string, existing: string): void {
    const found = this.find(existing);
    if (found) this.set(path, { ...(found.entry.key ? { key: found.entry.key } : {}), value: found.entry.value });
  }

  /** Where the entry is written: its key for map entries, else its value. Falls back to the nearest parent. */
  locate(path: string): SourceLocation {
    const found = this.find(path);
    const pos = found?.entry.key ?? found?.entry.value;
    return pos ? { file: pos.file, line: pos.line, col: pos.col, path: writtenPath(path, found!) } : { file: this.file, line: 1, col: 1, path };
  }

  /** Where the value of a path starts (for "bad value" errors). Falls back to the nearest parent. */
  locateValue(path: string): SourceLocation {
    const found = this.find(path);
    const pos = found?.entry.value;
    return pos ? { file: pos.file, line: pos.line, col: pos.col, path: writtenPath(path, found!) } : { file: this.file, line: 1, col: 1, path };
  }

  /** An issue about the value at a path. */
  valueIssue(path: string, message: string): ConfigIssue {
    return { location: this.locateValue(path), message };
  }

  /** An issue about the key (the entry itself) at a path. */
  keyIssue(path: string, message: string): ConfigIssue {
    return { location: this.locate(path), message };
  }

  private find(path: string): Found | undefined {
    for (let p: string | undefined = path; p !== undefined; p = parentPath(p)) {
      const entry = this.entries.get(p);
      if (entry) return { entry, at: p };
    }
    return undefined;
  }
}

/** An entry found for a path, and the path (the asked one or a parent) it is recorded at. */
interface Found {
  entry: Entry;
  at: string;
}

/** `path` as written in the file: the found entry's written path, with what `path` adds below it. */
function writtenPath(path: string, found: Found): string {
  const written = found.entry.written;
  return written === undefined || written === found.at ? path : written + path.slice(found.at.length);
}

/** Sorts issues by position, keeping the order of equal ones; drops exact duplicates. */
export function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((i) => {
    const { file, line, col, path } = i.location;
    const k = `${file}\0${line}\0${col}\0${path}\0${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  // Array.prototype.sort is stable, so equal positions keep the order they were found in.
  // Issues of several files: grouped by file in the order each file first appears.
  const fileOrder = new Map<string, number>();
  for (const i of unique) if (!fileOrder.has(i.location.file)) fileOrder.set(i.location.file, fileOrder.size);
  return unique.sort(
    (a, b) => fileOrder.get(a.location.file)! - fileOrder.get(b.location.file)! || a.location.line - b.location.line || a.location.col - b.location.col,
  );
}

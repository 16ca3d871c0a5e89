/**
 * `.dockerignore`, read and matched exactly as Docker does (moby/patternmatcher and its
 * ignorefile reader): `#` comments at the start of a line, patterns trimmed and cleaned (leading
 * `/` and `./` dropped), `*` and `?` within one path segment, `**` across segments, `[...]` classes,
 * `!` exceptions; later lines win; a path is ignored when it or any of its parent directories is.
 *
 * The Dockerfile and the .dockerignore themselves are still read by the builder whatever the
 * patterns say (as Docker still sends them); the patterns only decide what COPY and ADD can see.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DockerfileError } from './dockerfile-error.js';
import { BadPatternError, goClean, goPatternRegExp } from './go-path.js';
import { trimGo } from './go-text.js';

/** Decides whether a context path is ignored. */
export interface IgnoreMatcher {
  /**
   * Whether `relPath` (`/`-separated, relative to the context root) is left out of the context.
   * `isDir` is accepted for walkers' convenience; Docker's patterns do not tell files from directories.
   */
  (relPath: string, isDir?: boolean): boolean;
  /**
   * Whether a walker must still descend into the ignored directory `dirRelPath` because an `!`
   * exception may re-include something below it (Docker's walker makes the same decision).
   */
  mayReinclude(dirRelPath: string): boolean;
  /** The cleaned patterns, `!` kept, in file order. */
  readonly patterns: readonly string[];
}

/**
 * Reads the ignore file for a build: `<dockerfile>.dockerignore` next to the Dockerfile when it
 * exists (BuildKit's per-Dockerfile ignore file), else `<contextDir>/.dockerignore`. No file, no patterns.
 */
export async function loadDockerignore(contextDir: string, opts: { dockerfile?: string } = {}): Promise<string[]> {
  const candidates = [...(opts.dockerfile ? [`${opts.dockerfile}.dockerignore`] : []), join(contextDir, '.dockerignore')];
  for (const file of candidates) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    return parseDockerignore(text, { file });
  }
  return [];
}

/** The patterns of a .dockerignore text, cleaned as Docker cleans them; throws DockerfileError on a bad pattern. */
export function parseDockerignore(text: string, { file }: { file: string }): string[] {
  const patterns: string[] = [];
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith('#')) return;
    let pattern = trimGo(line);
    if (pattern === '') return;
    const invert = pattern.startsWith('!');
    if (invert) pattern = trimGo(pattern.slice(1));
    if (pattern.length > 0) {
      pattern = goClean(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    const full = invert ? `!${pattern}` : pattern;
    try {
      compilePattern(full);
    } catch (err) {
      throw new DockerfileError(file, i + 1, err instanceof Error ? err.message : String(err));
    }
    patterns.push(full);
  });
  return patterns;
}

interface Pattern {
  exclusion: boolean;
  cleaned: string;
  match: (path: string) => boolean;
}

/** Builds the matcher for cleaned patterns (as parseDockerignore returns them). */
export function createIgnoreMatcher(patterns: readonly string[]): IgnoreMatcher {
  const compiledPatterns: Pattern[] = [];
  for (const raw of patterns) {
    const p = compilePattern(raw);
    if (p) compiledPatterns.push(p);
  }
  const exclusions = compiledPatterns.filter((p) => p.exclusion);

  const matcher = (relPath: string): boolean => {
    const file = goClean(relPath.replace(/^\/+/, ''));
    if (file === '.') return false;
    const slash = file.lastIndexOf('/');
    const parentDirs = slash < 0 ? [] : file.slice(0, slash).split('/');
    let matched = false;
    for (const pattern of compiledPatterns) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      for (let i = 0; !match && i < parentDirs.length; i++) match = pattern.match(parentDirs.slice(0, i + 1).join('/'));
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  };

  const mayReinclude = (dirRelPath: string): boolean => {
    if (exclusions.length === 0) return false;
    // With a wildcard in any exception, Docker's walker cannot rule a directory out: it descends.
    if (exclusions.some((p) => /[*?[\\]/.test(p.cleaned))) return true;
    const dir = `${goClean(dirRelPath.replace(/^\/+/, ''))}/`;
    return exclusions.some((p) => `${p.cleaned}/`.startsWith(dir));
  };

  return Object.assign(matcher, { mayReinclude, patterns: [...patterns] });
}

/** One pattern as moby/patternmatcher compiles it; undefined for a blank one. */
function compilePattern(raw: string): Pattern | undefined {
  let p = trimGo(raw);
  if (p === '') return undefined;
  p = goClean(p);
  const exclusion = p.startsWith('!');
  if (exclusion) {
    if (p.length === 1) throw new Error('illegal exclusion pattern: "!"');
    p = p.slice(1);
  }
  try {
    goPatternRegExp(p);
  } catch (err) {
    if (err instanceof BadPatternError) throw new Error(`syntax error in pattern ${JSON.stringify(p)}`);
    throw err;
  }
  return { exclusion, cleaned: p, match: patternFunction(p) };
}

/** The match function patternmatcher derives from a pattern: exact, prefix (`dir/**`), suffix (`**\/name`) or regexp. */
function patternFunction(pattern: string): (path: string) => boolean {
  const chars = Array.from(pattern);
  let re = '^';
  let type: 'exact' | 'prefix' | 'suffix' | 'regexp' = 'exact';
  for (let i = 0, pos = 0; pos < chars.length; i++) {
    const ch = chars[pos++]!;
    if (ch === '*') {
      if (chars[pos] === '*') {
        pos++;
        if (chars[pos] === '/') pos++;
        if (pos >= chars.length) {
          if (type === 'exact') type = 'prefix';
          else {
            re += '.*';
            type = 'regexp';
          }
        } else {
          re += '(.*/)?';
          type = 'regexp';
        }
        if (i === 0) type = 'suffix';
      } else {
        re += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      type = 'regexp';
    } else if ('.+()|{}$'.includes(ch)) {
      re += `\\${ch}`;
    } else if (ch === '\\') {
      if (pos < chars.length) {
        re += `\\${chars[pos++]!}`;
        type = 'regexp';
      } else {
        re += '\\\\';
      }
    } else if (ch === '[' || ch === ']') {
      re += ch;
      type = 'regexp';
    } else {
      re += ch;
    }
  }
  switch (type) {
    case 'exact':
      return (path) => path === pattern;
    case 'prefix': {
      const prefix = pattern.slice(0, -2);
      return (path) => path.startsWith(prefix);
    }
    case 'suffix': {
      const suffix = pattern.slice(2);
      return (path) => path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
    }
    case 'regexp': {
      let regexp: RegExp | undefined;
      try {
        regexp = new RegExp(`${re}$`);
      } catch {
        regexp = undefined;
      }
      return (path) => regexp?.test(path) ?? false;
    }
    default: {
      const never: never = type;
      throw new Error(`unknown pattern type ${String(never)}`);
    }
  }
}

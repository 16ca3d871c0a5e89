/**
 * The first pass of BuildKit's parser: parser directives at the top, comments, line continuations
 * with the escape character (comment lines and empty lines inside a continuation are skipped), and
 * heredoc bodies. The result is one logical line per instruction, with its source line range.
 */
import { trimLeftGo } from './go-text.js';
import type { Heredoc } from './heredoc.js';

/** One instruction's text, continuations joined, with where it was written. */
export interface LogicalLine {
  text: string;
  /** 1-based line the instruction starts on. */
  line: number;
  /** 1-based last line, including continuation lines and heredoc bodies. */
  endLine: number;
  /** Heredoc bodies that followed the line, when `heredocs` found any. */
  heredocs: Heredoc[];
}

/** A problem the parser reports but builds anyway. */
export interface ParseWarning {
  line: number;
  message: string;
}

/** Everything the first pass found. */
export interface SplitResult {
  escape: string;
  /** The `# syntax=` directive's value, if any (hafen builds with its own parser regardless). */
  syntax?: string;
  lines: LogicalLine[];
  warnings: ParseWarning[];
  /** Number of physical lines, for errors about the file as a whole. */
  lineCount: number;
}

/** A failure in the first pass, with its 1-based line. */
export class LineError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** Finds the heredocs a logical line opens; supplied by the parser, which knows which instructions allow them. */
export type HeredocFinder = (line: string) => Omit<Heredoc, 'content'>[];

const directive = /^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
const VALID_DIRECTIVES = new Set(['escape', 'syntax', 'check']);

/** Splits Dockerfile text into logical lines (BuildKit's `parser.Parse` loop). */
export function splitLogicalLines(text: string, findHeredocs: HeredocFinder): SplitResult {
  const physical = splitKeepingNewlines(text.startsWith('\uFEFF') ? text.slice(1) : text);
  let escape = '\\';
  let continuation = continuationRegExp(escape);
  let directivesDone = false;
  const seen = new Set<string>();
  let syntax: string | undefined;
  const lines: LogicalLine[] = [];
  const warnings: ParseWarning[] = [];

  const checkDirective = (token: string, lineNo: number): void => {
    if (directivesDone) return;
    const m = directive.exec(token);
    const key = m?.[1]?.toLowerCase();
    if (!m || key === undefined || !VALID_DIRECTIVES.has(key)) {
      directivesDone = true;
      return;
    }
    if (seen.has(key)) throw new LineError(lineNo, `only one ${key} parser directive can be used`);
    seen.add(key);
    const value = m[2]!;
    if (key === 'escape') {
      if (value !== '`' && value !== '\\') throw new LineError(lineNo, `invalid escape token '${value}' does not match \` or \\`);
      escape = value;
      continuation = continuationRegExp(escape);
    } else if (key === 'syntax') {
      syntax = value;
    }
  };

  /** BuildKit's `processLine`: directive check, then a comment line becomes empty. */
  const processLine = (raw: string, lineNo: number, stripLeft: boolean): string => {
    let token = trimNewline(raw);
    if (stripLeft) token = trimLeftGo(token);
    checkDirective(token, lineNo);
    return token.startsWith('#') ? '' : token;
  };

  let i = 0;
  while (i < physical.length) {
    const startLine = i + 1;
    let line = processLine(physical[i]!, startLine, true);
    i++;
    let ended: boolean;
    [line, ended] = trimContinuation(line, continuation);
    if (ended && line === '') continue;

    let emptyContinuation = false;
    while (!ended && i < physical.length) {
      const raw = physical[i]!;
      const processed = processLine(raw, i + 1, false);
      i++;
      if (isComment(raw)) continue;
      if (trimLeftGo(trimNewline(processed)) === '') {
        emptyContinuation = true;
        continue;
      }
      let part: string;
      [part, ended] = trimContinuation(processed, continuation);
      line += part;
    }
    if (emptyContinuation) {
      warnings.push({ line: startLine, message: 'empty continuation line (empty continuation lines will become errors in a future release)' });
    }

    const heredocs: Heredoc[] = [];
    let opened: Omit<Heredoc, 'content'>[];
    try {
      opened = findHeredocs(line);
    } catch (err) {
      throw new LineError(startLine, err instanceof Error ? err.message : String(err));
    }
    for (const doc of opened) {
      let content = '';
      let terminated = false;
      while (i < physical.length) {
        const raw = physical[i]!;
        i++;
        let candidate = trimNewline(raw);
        if (doc.chomp) candidate = candidate.replace(/^\t+/, '');
        if (candidate === doc.name) {
          terminated = true;
          break;
        }
        content += raw;
      }
      if (!terminated) throw new LineError(startLine, `unterminated heredoc <<${doc.name} (no line "${doc.name}" ends it)`);
      heredocs.push({ ...doc, content });
    }

    lines.push({ text: line, line: startLine, endLine: i, heredocs });
  }

  return { escape, ...(syntax === undefined ? {} : { syntax }), lines, warnings, lineCount: physical.length };
}

/** Lines with their line endings, like Go's scanner with BuildKit's `scanLines`. */
function splitKeepingNewlines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break;
    out.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

function trimNewline(s: string): string {
  return s.replace(/[\r\n]+$/, '');
}

function isComment(raw: string): boolean {
  return trimLeftGo(trimNewline(raw)).startsWith('#');
}

/** The escape character as the last non-blank character continues the line, unless it is itself escaped. */
function continuationRegExp(escape: string): RegExp {
  const e = escape === '\\' ? '\\\\' : escape;
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

function trimContinuation(line: string, re: RegExp): [string, boolean] {
  if (re.test(line)) return [line.replace(re, '$1'), false];
  return [line, true];
}


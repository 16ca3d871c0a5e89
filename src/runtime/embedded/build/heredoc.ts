/**
 * Here-documents (`RUN <<EOF`, `COPY <<EOF /dest`), found the way BuildKit finds them: the line is
 * split into shell words and every word of the form `[n]<<[-]NAME` opens one, read from the lines
 * that follow up to a line that is exactly NAME (after leading tabs, for `<<-`).
 */
import { processWords } from './substitute.js';

/** One here-document, with its body. */
export interface Heredoc {
  /** The delimiter word, quotes removed. */
  name: string;
  /** The body lines, each with its newline; leading tabs still there for `<<-` (see {@link chompHeredoc}). */
  content: string;
  /** Whether variables in the body are substituted (the delimiter was not quoted). */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the body and the delimiter line. */
  chomp: boolean;
  /** The file descriptor before `<<` (`2<<EOF`), 0 when none. */
  fd: number;
}

const heredocWord = /^(\d*)<<(-?)([^<]*)$/;
const EMPTY = new Map<string, string>();

/** The heredoc a word opens, if any (BuildKit's `ParseHeredoc`); the content is filled in later. */
export function parseHeredocWord(word: string): Omit<Heredoc, 'content'> | undefined {
  const m = heredocWord.exec(word);
  if (!m) return undefined;
  const rest = m[3]!;
  if (rest === '') return undefined;
  const plain = processWords(rest, EMPTY, { skipUnset: true });
  if (plain.length !== 1) return undefined;
  const raw = processWords(rest, EMPTY, { skipUnset: true, rawQuotes: true });
  const name = plain[0]!;
  const quotes = (s: string): number => s.split(/['"]/).length - 1;
  return {
    name,
    expand: quotes(name) === quotes(raw[0] ?? ''),
    chomp: m[2] === '-',
    fd: m[1] ? Number.parseInt(m[1], 10) : 0,
  };
}

/** The heredocs a line opens, in order (BuildKit's `heredocsFromLine`). */
export function heredocsInLine(line: string): Omit<Heredoc, 'content'>[] {
  let words: string[];
  try {
    words = processWords(line, EMPTY, { rawQuotes: true, rawEscapes: true, skipUnset: true });
  } catch {
    words = [];
  }
  const docs: Omit<Heredoc, 'content'>[] = [];
  for (const word of words) {
    const doc = parseHeredocWord(word);
    if (doc) docs.push(doc);
  }
  return docs;
}

/** The body of a `<<-` heredoc: leading tabs removed from every line. */
export function chompHeredoc(content: string): string {
  return content.replace(/^\t+/gm, '');
}

/**
 * How BuildKit's parser cuts one logical line into an instruction name, `--flags` and arguments,
 * before any substitution: quotes and escapes are kept in the words, to be removed later by the
 * lexer (substitute.ts) for the instructions that substitute.
 */
import { isGoSpace, splitFirstWord, splitWhitespace, trimGo, trimLeftGo } from './go-text.js';

/** One line split into its instruction name, its `--flags` and the rest. */
export interface CommandParts {
  /** The instruction name as written (any case). */
  name: string;
  /** Leading `--flag[=value]` words, quotes removed. */
  flags: string[];
  /** Everything after the flags, trimmed. */
  rest: string;
}

/** Splits a logical line into name, flags and arguments (BuildKit's `splitCommand`). */
export function splitCommand(line: string): CommandParts {
  const parts = splitFirstWord(trimGo(line));
  if (parts.length === 1) return { name: parts[0], flags: [], rest: '' };
  const { rest, flags } = extractBuilderFlags(parts[1]);
  return { name: parts[0], flags, rest: trimGo(rest) };
}

/**
 * Takes the leading words that start with `--` off `line` (a lone `--` ends them). Quotes and
 * backslashes inside a flag word are processed; the rest of the line is returned untouched.
 */
export function extractBuilderFlags(line: string): { rest: string; flags: string[] } {
  const flags: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    const ch = pos < line.length ? line[pos]! : '';
    if (phase === 'spaces') {
      if (pos === line.length) break;
      if (isGoSpace(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return { rest: line.slice(pos), flags };
      phase = 'word';
    }
    if (pos === line.length) {
      if (word !== '--' && (blankOK || word.length > 0)) flags.push(word);
      break;
    }
    if (phase === 'word') {
      if (isGoSpace(ch)) {
        phase = 'spaces';
        if (word === '--') return { rest: line.slice(pos), flags };
        if (blankOK || word.length > 0) flags.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      let c = ch;
      if (c === '\\') {
        if (pos + 1 === line.length) continue;
        pos++;
        c = line[pos]!;
      }
      word += c;
      continue;
    }
    // phase === 'quote'
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    let c = ch;
    if (c === '\\') {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      pos++;
      c = line[pos]!;
    }
    word += c;
  }
  return { rest: '', flags };
}

/**
 * Splits on unquoted whitespace, keeping quotes and escapes in the words (BuildKit's `parseWords`,
 * used by ENV, LABEL and ARG). The escape character keeps the next character, even a quote.
 */
export function parseWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= chars.length; pos++) {
    const atEnd = pos === chars.length;
    let ch = atEnd ? '' : chars[pos]!;
    if (phase === 'spaces') {
      if (atEnd) break;
      if (isGoSpace(ch)) continue;
      phase = 'word';
    }
    if (atEnd) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isGoSpace(ch)) {
        phase = 'spaces';
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (pos + 1 === chars.length) continue; // an escape at the end of the line is dropped
        word += ch;
        pos++;
        ch = chars[pos]!;
      }
      word += ch;
      continue;
    }
    // phase === 'quote'
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      pos++;
      word += ch;
      ch = chars[pos]!;
    }
    word += ch;
  }
  return words;
}

/** Splits on the parser's whitespace, no quoting (FROM, EXPOSE, and the shell form of COPY/ADD/VOLUME). */
export function splitArgs(rest: string): string[] {
  return rest === '' ? [] : splitWhitespace(rest);
}

/** The outcome of reading arguments that may be a JSON array. */
export type MaybeJson = { json: true; args: string[] } | { json: false };

/** Thrown for a valid JSON array with a non-string element, which Docker refuses instead of falling back. */
export class NotStringArrayError extends Error {
  constructor() {
    super('when using JSON array syntax, arrays must be comprised of strings only');
  }
}

/**
 * Reads `rest` as a JSON array of strings if it is one (exec form). Like BuildKit's JSON decoder, the
 * first complete JSON value is read and anything after it ignored; anything that is not a well-formed
 * array means "not JSON" (shell form); an array of non-strings is an error.
 */
export function parseJsonArray(rest: string): MaybeJson {
  const text = trimLeftGo(rest);
  if (!text.startsWith('[')) return { json: false };
  const end = endOfFirstJsonValue(text);
  if (end < 0) return { json: false };
  let value: unknown;
  try {
    value = JSON.parse(text.slice(0, end));
  } catch {
    return { json: false };
  }
  if (!Array.isArray(value)) return { json: false };
  if (!value.every((v): v is string => typeof v === 'string')) throw new NotStringArrayError();
  return { json: true, args: value };
}

/** parseJsonArray, where empty arguments are simply not JSON. */
export function maybeJson(rest: string): MaybeJson {
  return rest === '' ? { json: false } : parseJsonArray(rest);
}

/** Index just past the bracket that closes the array at the start of `text`, or -1. */
function endOfFirstJsonValue(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

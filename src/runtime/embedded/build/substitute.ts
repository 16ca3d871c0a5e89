/**
 * Variable substitution and quote removal, as BuildKit's shell lexer does it for the instructions
 * that support "environment replacement" (ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME
 * WORKDIR, ARG defaults): `$var`, `${var}`, `${var:-word}`, `${var-word}`, `${var:+word}`,
 * `${var+word}`, `${var:?msg}`, `${var?msg}`, `${var#pat}`, `${var##pat}`, `${var%pat}`,
 * `${var%%pat}`, `${var/pat/repl}`, `${var//pat/repl}`; single and double quotes; the escape
 * character (`\` or the `# escape=` one) makes the next character literal, so `\$foo` stays `$foo`.
 * RUN, CMD and ENTRYPOINT are not substituted here: their shell does it.
 */
import { isGoSpace } from './go-text.js';
import { PatternError, shellPatternToRegExp, trimPrefix, trimSuffix } from './shell-pattern.js';

/** Variables visible to a substitution. Lookups are case-sensitive, as on Linux. */
export type Env = ReadonlyMap<string, string>;

/** Lexer switches, named after BuildKit's `shell.Lex` fields. */
export interface LexOptions {
  /** The Dockerfile's escape character. Default `\`. */
  escape?: string;
  /** Keep quote characters in the result (used to detect quoted heredoc names). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written instead of making them empty. */
  skipUnset?: boolean;
  /** Treat quotes as ordinary characters (heredoc bodies). */
  skipQuotes?: boolean;
}

/** What one substitution produced. */
export interface Substitution {
  /** The word with quotes removed and variables replaced, spaces kept. */
  result: string;
  /** The same, split into words on unquoted spaces (after substitution). */
  words: string[];
  /** Variables that were referenced and set. */
  matched: Set<string>;
  /** Variables that were referenced and not set. */
  unmatched: Set<string>;
}

/** A word the lexer cannot process (unbalanced quote, bad `${...}`); the message is BuildKit's. */
export class SubstitutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubstitutionError';
  }
}

/** Substitutes variables in `word` and removes quotes, keeping it one word (BuildKit's `ProcessWord`). */
export function processWord(word: string, env: Env, opts: LexOptions = {}): string {
  return substitute(word, env, opts).result;
}

/** Substitutes and splits into words on unquoted whitespace (BuildKit's `ProcessWords`, used by EXPOSE). */
export function processWords(word: string, env: Env, opts: LexOptions = {}): string[] {
  return substitute(word, env, opts).words;
}

/** Substitutes and reports everything: result, words, and which variables were (un)set. */
export function substitute(word: string, env: Env, opts: LexOptions = {}): Substitution {
  const lexer = new Lexer(word, env, opts);
  try {
    const { result, words } = lexer.processStopOn(undefined, opts.rawEscapes ?? false);
    return { result, words, matched: lexer.matched, unmatched: lexer.unmatched };
  } catch (err) {
    if (err instanceof SubstitutionError || err instanceof PatternError) {
      throw new SubstitutionError(`failed to process ${JSON.stringify(word)}: ${err.message}`);
    }
    throw err;
  }
}

/** Accumulates words while characters are added; spaces from substituted values split words too. */
class Words {
  private buf = '';
  private inWord = false;
  readonly words: string[] = [];

  addChar(ch: string): void {
    if (isGoSpace(ch)) {
      if (this.inWord && this.buf.length > 0) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else {
      this.addRawChar(ch);
    }
  }

  addRawChar(ch: string): void {
    this.buf += ch;
    this.inWord = true;
  }

  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }

  addRawString(s: string): void {
    this.buf += s;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.buf.length > 0) {
      this.words.push(this.buf);
      this.buf = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class Lexer {
  private readonly chars: string[];
  private pos = 0;
  private readonly escape: string;
  private rawEscapes: boolean;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();

  constructor(
    word: string,
    private readonly env: Env,
    private readonly opts: LexOptions,
  ) {
    this.chars = Array.from(word);
    this.escape = opts.escape ?? '\\';
    this.rawEscapes = opts.rawEscapes ?? false;
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private next(): string | undefined {
    const ch = this.chars[this.pos];
    if (ch !== undefined) this.pos++;
    return ch;
  }

  /** Processes up to `stop` (consumed) or the end; a missing `stop` is an error. */
  processStopOn(stop: string | undefined, rawEscapes: boolean): { result: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      let result = '';
      const words = new Words();
      for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
        if (stop !== undefined && ch === stop) {
          this.next();
          return { result, words: words.finish() };
        }
        if (ch === '$') {
          const value = this.processDollar();
          result += value;
          words.addString(value);
          continue;
        }
        if (!this.opts.skipQuotes && (ch === "'" || ch === '"')) {
          const value = ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
          result += value;
          words.addRawString(value);
          continue;
        }
        let c = this.next()!;
        if (c === this.escape) {
          if (this.rawEscapes) {
            words.addRawChar(c);
            result += c;
          }
          const escaped = this.next();
          if (escaped === undefined) break; // an escape at the very end is dropped
          c = escaped;
          words.addRawChar(c);
        } else {
          words.addChar(c);
        }
        result += c;
      }
      if (stop !== undefined) {
        throw new SubstitutionError(`unexpected end of statement while looking for matching ${stop}`);
      }
      return { result, words: words.finish() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  /** `'...'`: everything literal, no escapes. */
  private processSingleQuote(): string {
    let result = '';
    const open = this.next()!;
    if (this.opts.rawQuotes) result += open;
    for (;;) {
      const ch = this.next();
      if (ch === undefined) throw new SubstitutionError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.opts.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  /** `"..."`: literal except `$` substitutions; the escape character escapes only `"`, `$` and itself. */
  private processDoubleQuote(): string {
    let result = '';
    const open = this.next()!;
    if (this.opts.rawQuotes) result += open;
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw new SubstitutionError('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') {
        this.next();
        if (this.opts.rawQuotes) result += ch;
        return result;
      }
      if (ch === '$') {
        result += this.processDollar();
        continue;
      }
      let c = this.next()!;
      if (c === this.escape) {
        if (this.rawEscapes) result += c;
        const after = this.peek();
        if (after === undefined) continue; // an escape at the end of the word is dropped
        if (after === '"' || after === '$' || after === this.escape) c = this.next()!;
      }
      result += c;
    }
  }

  private getEnv(name: string): string | undefined {
    const value = this.env.get(name);
    if (value === undefined) this.unmatched.add(name);
    else this.matched.add(name);
    return value;
  }

  private processDollar(): string {
    this.next(); // '$'
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.getEnv(name);
      if (value === undefined && this.opts.skipUnset) return `$${name}`;
      return value ?? '';
    }
    this.next(); // '{'
    const first = this.peek();
    if (first === undefined) throw new SubstitutionError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new SubstitutionError('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    if (ch === undefined) throw new SubstitutionError("syntax error: missing '}'");
    let chs = ch;
    let nullIsUnset = false;
    switch (ch) {
      case '}': {
        const value = this.getEnv(name);
        if (value === undefined && this.opts.skipUnset) return `\${${name}}`;
        return value ?? '';
      }
      case '/':
        return this.processReplace(name);
      case ':':
        nullIsUnset = true;
        ch = this.next();
        if (ch === undefined) throw new SubstitutionError("syntax error: missing '}'");
        chs += ch;
        break;
      case '+':
      case '-':
      case '?':
      case '#':
      case '%':
        break;
      default:
        throw new SubstitutionError(`unsupported modifier (${chs}) in substitution`);
    }
    const rawEscapes = ch === '#' || ch === '%';
    if (nullIsUnset && rawEscapes) throw new SubstitutionError(`unsupported modifier (${chs}) in substitution`);
    let word: string;
    try {
      word = this.processStopOn('}', rawEscapes).result;
    } catch (err) {
      if (this.peek() === undefined) throw new SubstitutionError("syntax error: missing '}'");
      throw err;
    }
    const value = this.getEnv(name);
    if (this.opts.skipUnset && value === undefined) return `\${${name}${chs}${word}}`;
    const empty = value === undefined || (nullIsUnset && value === '');
    switch (ch) {
      case '-':
        return empty ? word : value!;
      case '+':
        return empty ? '' : word;
      case '?':
        if (value === undefined) throw new SubstitutionError(`${name}: ${word || 'is not allowed to be unset'}`);
        if (nullIsUnset && value === '') throw new SubstitutionError(`${name}: ${word || 'is not allowed to be empty'}`);
        return value;
      case '#':
      case '%': {
        const greedy = word.startsWith(ch);
        const pattern = greedy ? word.slice(1) : word;
        return ch === '%' ? trimSuffix(pattern, value ?? '', greedy) : trimPrefix(pattern, value ?? '', greedy);
      }
      default:
        throw new SubstitutionError(`unsupported modifier (${chs}) in substitution`);
    }
  }

  /** `${name/pattern/replacement}` and `${name//pattern/replacement}`. */
  private processReplace(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    let pattern: string;
    try {
      pattern = this.processStopOn('/', true).result;
    } catch (err) {
      if (this.peek() === undefined) throw new SubstitutionError("syntax error: missing '/' in ${}");
      throw err;
    }
    let replacement: string;
    try {
      replacement = this.processStopOn('}', true).result;
    } catch (err) {
      if (this.peek() === undefined) throw new SubstitutionError("syntax error: missing '}'");
      throw err;
    }
    const value = this.getEnv(name);
    if (this.opts.skipUnset && value === undefined) return `\${${name}/${pattern}/${replacement}}`;
    const re = shellPatternToRegExp(pattern, true, false, all);
    return (value ?? '').replace(re, () => replacement);
  }

  /** A variable name: letters, digits and `_`; or a run of digits; or one special parameter. */
  private processName(): string {
    let name = '';
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (name === '' && /^\p{Nd}$/u.test(ch)) {
        while (this.peek() !== undefined && /^\p{Nd}$/u.test(this.peek()!)) name += this.next();
        return name;
      }
      if (name === '' && '@*#?-$!0'.includes(ch)) {
        this.next();
        return ch;
      }
      if (!/^[\p{L}\p{Nd}_]$/u.test(ch)) break;
      name += this.next();
    }
    return name;
  }
}

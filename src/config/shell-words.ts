/**
 * Splits a string `command:`, `entrypoint:` or `ready: exec:` into argv words the way Compose v2
 * does (compose-go reads such strings with go-shellwords' `Parse`). No shell is involved: nothing
 * is expanded (interpolation already ran; `$$` reached us as a plain `$`), nothing is globbed.
 *
 * - Words are separated by spaces, tabs, CRs and newlines.
 * - `'…'` keeps everything literally, backslashes included.
 * - `"…"` keeps spaces; a backslash in it escapes the next character (`"a\"b"` is `a"b`).
 * - A backslash outside single quotes takes the next character literally, except that `\t` and
 *   `\n` are a tab and a newline (go-shellwords 1.0.13+, which Compose v2 uses).
 * - Quoted and unquoted parts next to each other make one word (`--name="a b"` is `--name=a b`);
 *   `""` or `''` alone is an empty word.
 * - `$(…)` and `` `…` `` stay in their word as written, spaces included (nothing runs them).
 *
 * Where go-shellwords fails, this fails too (an unclosed quote, a trailing backslash, a bare `(`
 * or `)`). Where it quietly stops, at an unquoted `;`, `&`, `|`, `<` or `>`, this stops too and
 * keeps the words before it (a digits-only word right before `>`, as the `2` of `2>&1`, goes
 * with the operator), so a file means what it means to Compose; the caller is told what was
 * dropped (`onDropped`) to warn of it, or refuses it where hafen's own keys are read.
 * (docker-compose 1.x used Python's `shlex.split`, which passed such characters on as words; it
 * had no `\t`/`\n` escapes either.)
 */
import { ValueError } from './issues.js';

/** A string that cannot be split into words; the message says where and what to write instead. */
export class ShellWordsError extends ValueError {}

const SPACE = new Set([' ', '\t', '\r', '\n']);
const OPERATOR = new Set([';', '&', '|', '<', '>']);
const AS_LIST = 'write the command as a list instead, e.g. ["sh", "-c", "…"] for a shell';

/** What Compose drops from a string command: from the shell operator on. */
export interface DroppedTail {
  /** The operator, e.g. `&&` or `2>`. */
  operator: string;
  /** The dropped text, from the operator (or its digits) to the end. */
  tail: string;
  /** 1-based character position of the operator in the string. */
  position: number;
}

/**
 * The words of `text`; throws ShellWordsError when it cannot be split as Compose would. At an
 * unquoted shell operator the words so far are returned and `onDropped` is told what was left
 * out; without `onDropped` the operator is an error.
 */
export function splitShellWords(text: string, onDropped?: (dropped: DroppedTail) => void): string[] {
  const chars = [...text]; // by code point, so positions in messages count characters
  const words: string[] = [];
  let word = '';
  /** A word has begun (an empty quoted word counts). */
  let started = false;
  let escaped = false;
  /** Where each open region began (1-based), or 0 when it is not open. */
  let single = 0;
  let double = 0;
  let backtick = 0;
  let subshell = 0;
  /** Where the current word began in `chars`, or -1 between words. */
  let wordStart = -1;
  const at = (i: number) => `(character ${i + 1} of the string)`;

  for (let i = 0; i < chars.length; i++) {
    let c = chars[i]!;
    if (wordStart < 0 && !SPACE.has(c)) wordStart = i;
    if (escaped) {
      if (c === 't') c = '\t';
      else if (c === 'n') c = '\n';
      word += c;
      escaped = false;
      started = true;
      continue;
    }
    if (c === '\\') {
      if (single) word += c;
      else escaped = true;
      continue;
    }
    const quotedOrGrouped = Boolean(single || double || backtick || subshell);
    if (SPACE.has(c)) {
      if (quotedOrGrouped) word += c;
      else if (started) {
        words.push(word);
        word = '';
        started = false;
        wordStart = -1;
      }
      continue;
    }
    switch (c) {
      case '`':
        // Kept in the word (nothing runs it); only its spaces are protected.
        if (!single && !double && !subshell) backtick = backtick ? 0 : i + 1;
        break;
      case '(':
        if (!single && !double && !backtick) {
          if (subshell || !word.endsWith('$')) throw new ShellWordsError(`"(" ${at(i)} is shell syntax and there is no shell; quote it, or ${AS_LIST}`);
          subshell = i;
        }
        break;
      case ')':
        if (!single && !double && !backtick) {
          if (!subshell) throw new ShellWordsError(`")" ${at(i)} closes nothing; quote it, or ${AS_LIST}`);
          subshell = 0;
        }
        break;
      case '"':
        if (!single && !subshell) {
          if (double) started = true;
          double = double ? 0 : i + 1;
          continue;
        }
        break;
      case "'":
        if (!double && !subshell) {
          if (single) started = true;
          single = single ? 0 : i + 1;
          continue;
        }
        break;
      default:
        if (OPERATOR.has(c) && !quotedOrGrouped) {
          let end = i;
          while (end < chars.length && OPERATOR.has(chars[end]!)) end++;
          // go-shellwords: digits right before `>` are a file descriptor, dropped with it.
          const fd = c === '>' && started && /^[0-9]+$/.test(word);
          const from = fd ? wordStart : i;
          const op = chars.slice(from, end).join('');
          if (!onDropped) {
            throw new ShellWordsError(
              `${JSON.stringify(op)} ${at(from)} is shell syntax, but this string is split into words and run without a shell; ` +
                `quote it, or ${AS_LIST}`,
            );
          }
          if (started && !fd) words.push(word);
          onDropped({ operator: op, tail: chars.slice(from).join(''), position: from + 1 });
          return words;
        }
    }
    word += c;
    started = true;
  }

  if (escaped) throw new ShellWordsError('it ends with a lone backslash; write \\\\ for a literal one');
  if (single) throw new ShellWordsError(`the single quote ${at(single - 1)} is never closed`);
  if (double) throw new ShellWordsError(`the double quote ${at(double - 1)} is never closed`);
  if (backtick) throw new ShellWordsError(`the backquote ${at(backtick - 1)} is never closed`);
  if (subshell) throw new ShellWordsError(`the "$(" ${at(subshell - 1)} is never closed by ")"`);
  if (started) words.push(word);
  return words;
}

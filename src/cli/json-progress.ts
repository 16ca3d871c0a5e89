/**
 * `--progress json`: the command's stderr carries JSON lines only (docs/machine-output.md). The
 * executor's events are written by the JSON renderer; every sentence a command would say to a person
 * (`shop is up`, a warning of the stack file, a skipped pull) becomes a `message` line, and the error
 * the command ends with an `error` line, so a tool reads the stream line by line with nothing else in it.
 */
import { Chalk } from 'chalk';
import { MACHINE_OUTPUT_VERSION, type ErrorLine, type MessageLine } from '../renderers/machine-lines.js';
import type { Output } from './output.js';

/** Whether the command line asks for `--progress json` (commander has not parsed it yet when main() decides how to print). */
export function asksJsonProgress(argv: readonly string[]): boolean {
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--progress') json = argv[++i] === 'json';
    else if (a.startsWith('--progress=')) json = a.slice('--progress='.length) === 'json';
  }
  return json;
}

/** The line of one human sentence: `warning: …` is a warning, everything else information. */
export function messageLine(text: string, time = Date.now()): MessageLine {
  const plain = text.replace(/\n$/, '');
  const warning = /^warning: /.exec(plain);
  return { v: MACHINE_OUTPUT_VERSION, kind: 'message', time, level: warning ? 'warning' : 'info', text: warning ? plain.slice(warning[0].length) : plain };
}

/** The line of the error a command ended with. */
export function errorLine(error: { code: string; message: string; exitCode: number }, time = Date.now()): ErrorLine {
  return { v: MACHINE_OUTPUT_VERSION, kind: 'error', time, code: error.code, message: error.message, exitCode: error.exitCode };
}

/** `base` with its stderr sentences as `message` lines and no colour (escape codes have no place in JSON text). */
export function jsonProgressOutput(base: Output, write: (text: string) => void): Output {
  return {
    out: (text) => base.out(text),
    err: (text) => write(`${JSON.stringify(messageLine(text))}\n`),
    color: new Chalk({ level: 0 }),
  };
}

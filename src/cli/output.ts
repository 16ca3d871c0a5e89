/** Where the CLI writes: stdout for results, stderr for messages; colour only when wanted. */
import { Chalk, type ChalkInstance } from 'chalk';
import { isTerminal, writeStd } from './std-write.js';

/** The CLI's writers, injected so commands are testable without a process. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  color: ChalkInstance;
  /** Set by a command whose exit code is not 0 without an error (`up --exit-code-from`). */
  exitCode?: number;
}

/** Colour follows NO_COLOR (any value turns it off), FORCE_COLOR, and whether stderr is a terminal. */
export function colorLevel(env: NodeJS.ProcessEnv, isTTY: boolean): 0 | 1 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return 1;
  return isTTY ? 1 : 0;
}

/**
 * Output to the process's own stdout and stderr (std-write.ts: no Node stream for a pipe or a
 * file). The colour is settled when first used, so a command that prints nothing (`config -q`)
 * never asks whether stderr is a terminal (issue 16).
 */
export function processOutput(): Output {
  let color: ChalkInstance | undefined;
  return {
    out: (text) => writeStd(1, text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => writeStd(2, text.endsWith('\n') ? text : `${text}\n`),
    get color() {
      return (color ??= new Chalk({ level: colorLevel(process.env, isTerminal(2)) }));
    },
  };
}

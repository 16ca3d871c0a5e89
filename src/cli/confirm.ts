/**
 * A yes/no question before something is destroyed (`stack rm`), as Compose asks it: the question on
 * stderr, one line read from standard input, whether a terminal or a pipe (`echo y | stack rm`);
 * only `y` or `yes` is a yes, and no answer (end of input) is a no.
 */
import readline from 'node:readline';

/** Asks `question` followed by ` [yN] `; resolves to whether the answer was yes. */
export async function confirm(question: string, input: NodeJS.ReadableStream = process.stdin, prompt: NodeJS.WritableStream = process.stderr): Promise<boolean> {
  prompt.write(`${question} [yN] `);
  const lines = readline.createInterface({ input, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      lines.once('line', resolve);
      lines.once('close', () => resolve(''));
    });
    // A terminal echoes the answer and its Enter; a pipe's answer is not shown, so the line ends here.
    if (!(input as { isTTY?: boolean }).isTTY) prompt.write('\n');
    return isYes(answer);
  } finally {
    lines.close();
    if (input === process.stdin) process.stdin.pause(); // let the process end
  }
}

/** Whether an answer means yes (`y`, `yes`, any case, blanks around). */
export function isYes(answer: string): boolean {
  return /^\s*y(?:es)?\s*$/i.test(answer);
}

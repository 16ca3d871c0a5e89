/** Reads a stack file given as `-f -` from standard input, with the same size limit as files. */
import { ConfigError } from '../errors.js';
import { MAX_FILE_BYTES } from './read-file.js';

/** How `-` is named in positions and messages (as Compose names it). */
export const STDIN_NAME = '-';

/** All of `input` as UTF-8 text; refuses more than MAX_FILE_BYTES. */
export async function readStdin(input: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    length += buf.length;
    if (length > MAX_FILE_BYTES) {
      throw new ConfigError([{ location: { file: STDIN_NAME, line: 1, col: 1, path: '' }, message: `standard input is too large; the limit is 1 MiB (${MAX_FILE_BYTES} bytes)` }]);
    }
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

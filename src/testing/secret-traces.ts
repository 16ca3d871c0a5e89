/**
 * Where a secret's value could leak on this machine, for tests that check it did not: every
 * process's command line, and the files of a folder (a state root, a temp folder) holding its bytes.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Every process's command line on this machine, as `ps aux` shows them. */
export function allCommandLines(): string {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {
        return '';
      }
    })
    .join('\n');
}

/** Files under `dir` whose content includes `needle`. */
export function filesContaining(dir: string, needle: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => {
      try {
        return fs.readFileSync(f).includes(needle);
      } catch {
        return false;
      }
    });
}

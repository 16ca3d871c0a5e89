/**
 * What a reset may leave on disk (issue 20), for the snapshot e2e files: the folders it renamed
 * away (`.discarded-…`, deleted while the services start) and files still holding data written
 * after the snapshot.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Names under `dir` (recursively) that start with `.discarded-`. */
export function discarded(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).map(String).filter((p) => path.basename(p).startsWith('.discarded-'));
}

/** Every file under `dir` whose content holds `token` (the discarded data must be nowhere on disk). */
export function filesHolding(dir: string, token: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const file = path.join(e.parentPath, e.name);
    if (fs.statSync(file).size < 1_000_000 && fs.readFileSync(file, 'latin1').includes(token)) out.push(file);
  }
  return out;
}

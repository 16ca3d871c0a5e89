/** Runs the built `stack` CLI as a user would (the bundle the package ships), capturing what it prints and its exit code. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cliPath = path.join(repoRoot, 'dist/cli.cjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `stack ...args` in `cwd`, with NO_COLOR so messages compare as plain text. */
/** `maxBuffer`: how much output is kept (default 64 MiB; a log flood reads more). */
export function stack(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeout?: number; maxBuffer?: number } = {}): CliResult {
  if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first (npm test does)`);
  // `--`: Node 20 would take a `--env-file` anywhere on its command line as its own (see main.ts).
  const r = spawnSync(process.execPath, ['--', cliPath, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeout ?? 60_000,
    maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

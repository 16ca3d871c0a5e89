/**
 * `stack config | head -1`: the reader leaves before the CLI writes. The CLI ends at once and
 * quietly, as Unix tools do (status 141, a death by SIGPIPE), not with an EPIPE stack trace.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from './cli.js';

function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--', cliPath, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the CLI's first write
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('a closed stdout', () => {
  it.each([
    ['config', ['-f', 'stack.example.yaml', 'config']],
    ['--help', ['--help']],
  ])('ends `stack %s` quietly with 141', async (_name, args) => {
    const r = await withClosedStdout(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(141);
  });
});

/** Runs a system tool (ip, umount) and collects its exit code and stderr, without throwing. */
import { spawn } from 'node:child_process';

/** How a command ended. */
export interface CommandResult {
  code: number | null;
  stderr: string;
}

/** Runs `command args…`, feeding `input` on stdin when given. A missing tool reports as code null. */
export function runCommand(command: string, args: string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => resolve({ code: null, stderr: `${command}: ${err.message}` }));
    child.on('close', (code) => resolve({ code, stderr: stderr.trim() }));
    if (input !== undefined) {
      child.stdin!.on('error', () => {}); // EPIPE when the tool exits early; its stderr says why.
      child.stdin!.end(input);
    }
  });
}

/** The stderr lines of a batch run that mention `name`, or all of stderr when none does. */
export function stderrAbout(stderr: string, name: string): string {
  const lines = stderr.split('\n').filter((l) => l.includes(name));
  return (lines.length > 0 ? lines : stderr.split('\n')).join('; ').trim();
}

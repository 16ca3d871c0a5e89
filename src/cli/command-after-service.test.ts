import { describe, expect, it } from 'vitest';
import { commandAfterService } from './program.js';

describe('commandAfterService', () => {
  it('makes everything after the service of run/exec the command, its options included', () => {
    expect(commandAfterService(['run', '--rm', 'job', 'sh', '-c', 'exit 3'])).toEqual(['run', '--rm', 'job', '--', 'sh', '-c', 'exit 3']);
    expect(commandAfterService(['-p', 'x', 'exec', '-e', 'A=1', '--index', '2', 'api', 'ls', '-la'])).toEqual([
      '-p', 'x', 'exec', '-e', 'A=1', '--index', '2', 'api', '--', 'ls', '-la',
    ]);
  });

  it('leaves alone what has its `--` already, or no command, or is another command', () => {
    expect(commandAfterService(['exec', 'api', '--', 'ls'])).toEqual(['exec', 'api', '--', 'ls']);
    expect(commandAfterService(['run', 'job'])).toEqual(['run', 'job']);
    expect(commandAfterService(['logs', '-f', 'api', 'db'])).toEqual(['logs', '-f', 'api', 'db']);
  });
});

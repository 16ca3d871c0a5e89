import { describe, expect, it } from 'vitest';
import { buildProgram, commandPath } from './program.js';
import type { Output } from './output.js';

const quiet = { out: () => {}, err: () => {} } as unknown as Output;

const program = await buildProgram(quiet);

describe('commandPath: the help a usage error points to', () => {
  it.each([
    [['up', '--bogus'], ['up']],
    [['-f', 'missing.yaml', 'up', '--bogus'], ['up']],
    [['image', 'save', '--bogus'], ['image', 'save']],
    [['-p', 'up', 'ps', '--bogus'], ['ps']],
    [['--bogus'], []],
    [['logs', 'up'], ['logs']],
  ])('%j → stack %j --help', (argv, expected) => {
    expect(commandPath(program, argv)).toEqual(expected);
  });
});

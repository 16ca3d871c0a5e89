import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { OWN_SHORT_FLAGS, ownShortFlags } from './argv-facts.js';
import { buildProgram, commandAfterService } from './program.js';

describe('ownShortFlags: a command\'s own short flag after its name', () => {
  it.each([
    [['logs', '-f', 'api'], ['logs', '--follow', 'api']],
    [['-f', 'x.yaml', 'logs', '-f', '--tail', '20', 'api'], ['-f', 'x.yaml', 'logs', '--follow', '--tail', '20', 'api']],
    [['logs', '-ft', 'api'], ['logs', '--follow', '-t', 'api']],
    [['-p', 'shop', 'rm', '-fsv'], ['-p', 'shop', 'rm', '--force', '-sv']],
    [['rm', '-s', '-f', 'web', '-f'], ['rm', '-s', '--force', 'web', '--force']],
    [['run', '-p', '8080:80', '-p9090:90', 'web'], ['run', '--publish', '8080:80', '--publish', '9090:90', 'web']],
    [['run', '-e', 'A=-p', '-p', '1:2', 'web', 'sh', '-p'], ['run', '-e', 'A=-p', '--publish', '1:2', 'web', 'sh', '-p']],
    [['run', '--rm', 'web', '-p', '1:2'], ['run', '--rm', 'web', '-p', '1:2']],
    [['run', '-p'], ['run', '--publish']], // the parser then says its value is missing
    [['logs', '--', '-f'], ['logs', '--', '-f']],
    [['up', '-f', 'x.yaml', '-p', 'shop'], ['up', '-f', 'x.yaml', '-p', 'shop']],
    [['-p', 'logs', 'up', '-f', 'x.yaml'], ['-p', 'logs', 'up', '-f', 'x.yaml']],
  ])('%j', (argv, expected) => {
    expect(ownShortFlags(argv)).toEqual(expected);
    expect(ownShortFlags(expected)).toEqual(expected); // once is enough: main and runCli both apply it
  });

  it('names every short flag a command shares with a common option, with its long name and whether it takes a value', async () => {
    const program = await buildProgram({ out: () => {}, err: () => {}, color: new Chalk({ level: 0 }) });
    const common = new Set(program.options.flatMap((o) => (o.short ? [o.short] : [])));
    const found: Record<string, Record<string, { long: string; value: boolean }>> = {};
    for (const command of program.commands) {
      for (const o of command.options) {
        if (o.short && common.has(o.short)) (found[command.name()] ??= {})[o.short] = { long: o.long!, value: o.required || o.optional };
      }
    }
    expect(found).toEqual(OWN_SHORT_FLAGS);
  });
});

describe('commandAfterService with run\'s own options', () => {
  it('takes the values of -p, -v, -l, --name, --entrypoint, … for values, not the service', () => {
    expect(commandAfterService(ownShortFlags(['run', '-p', '80', '-v', './a:/a', '-l', 'k=v', '--name', 'n', '--entrypoint', 'sh', 'web', 'ls', '-l']))).toEqual([
      'run', '--publish', '80', '-v', './a:/a', '-l', 'k=v', '--name', 'n', '--entrypoint', 'sh', 'web', '--', 'ls', '-l',
    ]);
  });
});

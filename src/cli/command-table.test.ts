import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { SINGLE_COMMANDS, singleCommand } from './command-table.js';
import type { Output } from './output.js';
import { buildProgram, runCli } from './program.js';

function capture(): Output & { text: () => string } {
  const lines: string[] = [];
  return { out: (s) => lines.push(s), err: (s) => lines.push(s), color: new Chalk({ level: 0 }), text: () => lines.join('\n') };
}

const root = await buildProgram(capture());

describe('singleCommand: the one command an argv runs, built alone', () => {
  it.each([
    [['config', '-q'], 'config'],
    [['-f', 'up', 'ps'], 'ps'], // `up` is the value of -f
    [['--env-file', 'up', '--project-directory', 'down', 'port', 'web', '80'], 'port'],
    [['-pshop', 'ps'], 'ps'],
    [['--file=up', 'logs'], 'logs'],
    [['run', 'web', 'ps'], 'run'],
    [['--help', 'ps'], undefined],
    [['-V'], undefined],
    [['help', 'ps'], undefined],
    [['completion', 'bash'], undefined],
    [['--', 'ps'], undefined],
    [['nosuch'], undefined],
    [[], undefined],
  ])('%j → %s', async (argv, expected) => {
    const load = singleCommand(root, argv);
    expect(load && (await load())(capture()).name()).toBe(expected);
  });

  it('lists each command under its own name', async () => {
    for (const [name, load] of Object.entries(SINGLE_COMMANDS)) expect((await load())(capture()).name()).toBe(name);
    const all = root.commands.map((c) => c.name()).filter((n) => n !== 'completion');
    expect(Object.keys(SINGLE_COMMANDS).sort()).toEqual(all.sort());
  });

  it.each(Object.keys(SINGLE_COMMANDS).filter((n) => n !== '__complete'))('`stack %s --help` reads the same built alone as in the whole program', async (name) => {
    const alone = capture();
    expect(await runCli([name, '--help'], alone)).toBe(0);
    const whole = capture();
    const program = await buildProgram(whole);
    program.exitOverride();
    program.commands.forEach((c) => c.exitOverride());
    await program.parseAsync([name, '--help'], { from: 'user' }).catch(() => {});
    expect(alone.text()).toBe(whole.text());
    expect(alone.text()).toContain(`Usage: stack ${name}`);
  });
});

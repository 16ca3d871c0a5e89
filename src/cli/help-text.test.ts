import { Chalk } from 'chalk';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { allCommands, commandPath, ENVIRONMENT, HELP_TEXT } from './help-text.js';
import type { Output } from './output.js';
import { buildProgram, commandAfterService, runCli } from './program.js';

function capture(): Output & { text: () => string } {
  const lines: string[] = [];
  return { out: (s) => lines.push(s), err: (s) => lines.push(s), color: new Chalk({ level: 0 }), text: () => lines.join('\n') };
}

const program = await buildProgram(capture());

/** The command an example runs and the options it gives, global ones apart: `stack -p x up -d api` → up, [-d]. */
function exampleOptions(example: string): { command: Command; unknown: string[] } {
  // What follows the service of `run`/`exec` is the container's command, not options of ours.
  const all = commandAfterService(example.split(/\s+(?:&&|\||>)\s+/)[0]!.split(/\s+/).slice(1));
  const words = all.includes('--') ? all.slice(0, all.indexOf('--')) : all;
  let command: Command = program;
  const unknown: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('-')) {
      const sub = command.commands.find((c) => c.name() === word);
      if (sub) command = sub;
      continue;
    }
    const name = word.split('=')[0]!;
    const option = [...command.options, ...program.options].find((o) => o.short === name || o.long === name);
    if (!option) unknown.push(word);
    else if ((option.required || option.optional) && !word.includes('=')) i++;
  }
  return { command, unknown };
}

describe('help text', () => {
  it('every command of the program has its environment, exit codes and example', () => {
    const missing = allCommands(program).map(commandPath).filter((p) => !HELP_TEXT[p]);
    expect(missing).toEqual([]);
    expect(allCommands(program).length).toBeGreaterThan(20);
  });

  it('every example of a command that exists runs that command with options it has', () => {
    const commands = new Set(allCommands(program).map(commandPath));
    const wrong = Object.entries(HELP_TEXT)
      .filter(([path]) => commands.has(path) && path !== '')
      .flatMap(([path, help]) => {
        const { command, unknown } = exampleOptions(help.example);
        const runs = commandPath(command);
        return (runs !== path && !runs.startsWith(`${path} `)) || unknown.length ? [`${path}: ${help.example} (${[commandPath(command), ...unknown].join(' ')})`] : [];
      });
    expect(wrong).toEqual([]);
  });

  it('`stack up --help` ends with its variables, the exit codes and an example', async () => {
    const output = capture();
    expect(await runCli(['up', '--help'], output)).toBe(0);
    const text = output.text();
    expect(text).toMatch(/Usage: stack up/);
    expect(text).toMatch(/^Environment:\n(?: {2}[A-Z_]+ +\S.*\n)+/m);
    for (const name of ['COMPOSE_FILE', 'COMPOSE_PROJECT_NAME', 'HAFEN_RUNTIME', 'HAFEN_PUBLISH_ALL', 'HAFEN_SUBNET_POOL', 'HAFEN_MAX_IMAGE_BYTES', 'DOCKER_HOST', 'NO_COLOR']) {
      expect(text).toContain(`  ${name} `);
    }
    expect(text).toMatch(/Exit codes:\n {2}0 +done\n {2}1 +a service failed.*\n {2}2 +bad usage.*\n {2}70 .*\n {2}130 +interrupted/);
    expect(text).toMatch(/--exit-code-from SERVICE/);
    expect(text).toMatch(/Example:\n {2}\$ stack up /);
  });

  it('`stack help` and `stack --help` list every variable hafen reads', async () => {
    for (const argv of [['--help'], ['help']]) {
      const output = capture();
      expect(await runCli(argv, output)).toBe(0);
      for (const name of Object.keys(ENVIRONMENT)) expect(output.text()).toContain(`  ${name} `);
      expect(output.text()).toMatch(/Exit codes:[\s\S]*130 +interrupted[\s\S]*Example:/);
    }
  });

  it('a subcommand has its own tail: `stack image load --help`', async () => {
    const output = capture();
    expect(await runCli(['image', 'load', '--help'], output)).toBe(0);
    expect(output.text()).toContain('HAFEN_MAX_LAYER_BYTES');
    expect(output.text()).toContain('$ stack image load ');
    expect(output.text()).not.toContain('HAFEN_PUBLISH_ALL');
  });
});

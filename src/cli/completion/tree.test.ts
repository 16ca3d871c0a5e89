import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { allCommands, commandPath } from '../help-text.js';
import { buildProgram } from '../program.js';
import { completionTables } from './tables.js';
import { completionTree, flatten } from './tree.js';

const program = await buildProgram({ out: () => {}, err: () => {}, color: new Chalk({ level: 0 }) });
const tree = completionTree(program);

describe('completion tree', () => {
  it('has every command of the program but the hidden helper, and commander\'s help', () => {
    const offered = flatten(tree).map((c) => c.path);
    const expected = allCommands(program).map(commandPath).filter((p) => !p.startsWith('__'));
    expect(offered.sort()).toEqual([...expected, 'help'].sort());
  });

  it('knows what option values and arguments are', () => {
    const tables = completionTables(tree);
    const kind = (path: string, option: string) => tables.values.find((r) => (r.path === path || r.path === '*') && r.option === option)?.kind;
    expect(kind('*', '-f')).toBe('file');
    expect(kind('*', '--project-name')).toBe('project');
    expect(kind('*', '--runtime')).toBe('choice embedded docker swarm');
    expect(kind('up', '--exit-code-from')).toBe('service');
    expect(kind('up', '--detach')).toBeUndefined();
    expect(tables.args.find((a) => a.path === 'logs')).toEqual({ path: 'logs', kinds: ['service'], variadic: true });
    expect(tables.args.find((a) => a.path === 'completion')).toEqual({ path: 'completion', kinds: ['choice bash zsh fish'], variadic: false });
    expect(tables.subcommands.get('image')?.map((o) => o.word)).toEqual(expect.arrayContaining(['ls', 'save', 'load']));
  });
});

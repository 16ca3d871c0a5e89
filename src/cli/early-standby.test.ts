import { describe, expect, it } from 'vitest';
import { argvFacts, type ArgvFacts } from './early-standby.js';

describe('argvFacts: what the bare arguments tell before the CLI parses them', () => {
  it.each([
    [['up', '-d'], { command: 'up' }],
    [['-f', 'up.yaml', '-p', 'shop', 'up'], { command: 'up', project: 'shop', file: 'up.yaml' }],
    [['--file=up.yaml', '--project-name=shop', 'up'], { command: 'up', project: 'shop', file: 'up.yaml' }],
    [['--runtime', 'docker', 'up', '-d'], { command: 'up', runtime: 'docker' }],
    [['up', '-d', '-p', 'late', '--runtime=embedded'], { command: 'up', project: 'late', runtime: 'embedded' }],
    [['--progress', 'json', '--profile', 'up', 'down'], { command: 'down' }],
    [['--project-directory', '/srv/shop', 'up'], { command: 'up', projectDirectory: '/srv/shop' }],
    [['up', '--help'], { command: 'up', help: true }],
    [['run', 'web', '--', 'up', '-p', 'x'], { command: 'run' }],
    // cli-gaps: a command's own -f / -p after its name is its flag, not the file or the project.
    [['logs', '-f', 'api'], { command: 'logs' }],
    [['-f', 'x.yaml', 'logs', '-f', '--tail', '20', 'api'], { command: 'logs', file: 'x.yaml' }],
    [['rm', '-fsv', 'api'], { command: 'rm' }],
    [['run', '-p', '8080:80', '-p', '9090:90', 'web'], { command: 'run' }],
    [['run', '--rm', 'web', 'sh', '-p', 'x'], { command: 'run' }],
    [['up', '-f', 'up.yaml', '-p', 'late'], { command: 'up', file: 'up.yaml', project: 'late' }],
  ])('%j', (argv, expected: Partial<ArgvFacts>) => {
    const none: ArgvFacts = { command: undefined, project: undefined, runtime: undefined, file: undefined, projectDirectory: undefined, help: false };
    expect(argvFacts(argv)).toEqual({ ...none, ...expected });
  });
});

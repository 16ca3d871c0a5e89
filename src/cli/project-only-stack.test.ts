/** What `down` works from when the stack file cannot be used: the project named by -p alone. */
import { describe, expect, it } from 'vitest';
import { ConfigError, ConfigNotFoundError, UsageError } from '../errors.js';
import { namedProject, stackForDown, stackForProject } from './project-only-stack.js';

describe('stackForDown', () => {
  const warnings: string[] = [];
  const warn = (line: string) => warnings.push(line);

  it('takes a project down by -p alone when there is no stack file', () => {
    const stack = stackForDown(new ConfigNotFoundError('no stack file'), 'shop', '/tmp', warn);
    expect(stack).toMatchObject({ name: 'shop', services: {}, networks: {}, volumes: {} });
  });

  it('takes down a project whose name or file is now refused, saying why the file was not used', () => {
    const long = 'p'.repeat(100);
    expect(stackForDown(new UsageError(`-p ${long.slice(0, 20)}…: the project name is 100 characters long, more than 63`), long, '/tmp', warn).name).toBe(long);
    const bad = new ConfigError([{ location: { file: 'stack.yaml', line: 3, col: 3, path: 'services.x' }, message: 'the name is 251 characters long, more than 63' }]);
    expect(stackForDown(bad, 'old', '/tmp', warn).name).toBe('old');
    expect(warnings.at(-1)).toBe('the stack file cannot be used (stack.yaml:3:3 services.x: the name is 251 characters long, more than 63); taking project old down by its name alone');
  });

  it('rethrows without -p, for a name that could never have been a project, and for other errors', () => {
    const err = new ConfigNotFoundError('no stack file');
    expect(() => stackForDown(err, undefined, '/tmp', warn)).toThrow(err);
    expect(() => stackForDown(err, '../etc', '/tmp', warn)).toThrow(err);
    expect(() => stackForDown(err, 'p'.repeat(251), '/tmp', warn)).toThrow(err);
    const other = new Error('disk on fire');
    expect(() => stackForDown(other, 'shop', '/tmp', warn)).toThrow(other);
  });
});

describe('stackForProject', () => {
  const notFound = new ConfigNotFoundError('no stack file');

  it('is the project named alone, on the runtime --runtime names, when there is no stack file', async () => {
    const stack = await stackForProject(notFound, { projectName: 'shop', runtime: 'docker' }, '/tmp');
    expect(stack).toMatchObject({ name: 'shop', runtime: 'docker', services: {}, files: [] });
  });

  it('rethrows a broken file, a missing name, and a name that could never be a project', async () => {
    const broken = new ConfigError([{ location: { file: 'stack.yaml', line: 1, col: 1, path: '' }, message: 'bad' }]);
    await expect(stackForProject(broken, { projectName: 'shop', runtime: 'embedded' }, '/tmp')).rejects.toBe(broken);
    await expect(stackForProject(notFound, { runtime: 'embedded' }, '/tmp')).rejects.toBe(notFound);
    await expect(stackForProject(notFound, { projectName: '../x', runtime: 'embedded' }, '/tmp')).rejects.toBe(notFound);
  });

  it('takes -p (or HAFEN_PROJECT, read into it) before COMPOSE_PROJECT_NAME', () => {
    expect(namedProject({ projectName: 'a' }, { COMPOSE_PROJECT_NAME: 'b' })).toBe('a');
    expect(namedProject({}, { COMPOSE_PROJECT_NAME: 'b' })).toBe('b');
    expect(namedProject({}, { COMPOSE_PROJECT_NAME: '' })).toBeUndefined();
  });
});

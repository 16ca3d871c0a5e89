/** Project names from -p, COMPOSE_PROJECT_NAME, name: and the folder are held to 63 characters, each refusal naming where it came from. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../errors.js';
import { loadStack } from './index.js';
import { PROJECT_NAME_MAX, isValidProjectName } from './project-name.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function folder(name: string, text = 'services:\n  web: {image: host}\n'): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-names-'));
  made.push(root);
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'stack.yaml'), text);
  return dir;
}

describe('project name lengths', () => {
  it('takes 63 characters and not 64', () => {
    expect(PROJECT_NAME_MAX).toBe(63);
    expect(isValidProjectName('a'.repeat(63))).toBe(true);
    expect(isValidProjectName('a'.repeat(64))).toBe(false);
  });

  it('refuses a long -p or COMPOSE_PROJECT_NAME as bad usage naming the flag and the limit, not the whole name', async () => {
    const long = 'p'.repeat(300);
    const dir = folder('proj');
    const byFlag = await loadStack({ cwd: dir, env: {}, project: long }).then(() => undefined, (e: unknown) => e);
    expect(byFlag).toBeInstanceOf(UsageError);
    expect((byFlag as Error).message).toBe(`-p ${'p'.repeat(20)}…: the project name is 300 characters long, more than 63 (it begins every container, network and volume name and names the project's state folder)`);
    const byEnv = await loadStack({ cwd: dir, env: { COMPOSE_PROJECT_NAME: long } }).then(() => undefined, (e: unknown) => e);
    expect(byEnv).toBeInstanceOf(UsageError);
    expect((byEnv as Error).message).toMatch(/^COMPOSE_PROJECT_NAME=p{20}…: the project name is 300 characters long, more than 63 /);
    expect((await loadStack({ cwd: dir, env: {}, project: 'p'.repeat(63) })).name).toBe('p'.repeat(63));
  });

  it('refuses a folder whose name makes a project name over 63 characters, saying to set one', async () => {
    const dir = folder('f'.repeat(70));
    const err = await loadStack({ cwd: dir, env: {} }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe('stack.yaml:1:1 the folder name makes a project name of 70 characters, more than 63; set name: in the file or use -p NAME');
    expect((await loadStack({ cwd: dir, env: {}, project: 'short' })).name).toBe('short');
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DOCKER_DEFAULT_CAPABILITIES } from '../runtime/embedded/launcher/capabilities.js';
import { containerSeccompFilter, seccompChoice } from './container-filter.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-seccomp-choice-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('seccompChoice', () => {
  it.each([
    [undefined, false, { kind: 'default' }],
    [['no-new-privileges'], false, { kind: 'default' }],
    [['seccomp=unconfined'], false, { kind: 'unconfined' }],
    [['seccomp:unconfined', 'seccomp=builtin'], false, { kind: 'default' }],
    [['seccomp=/p.json'], false, { kind: 'file', file: '/p.json' }],
    [['seccomp=/p.json'], true, { kind: 'unconfined' }],
    [[], true, { kind: 'unconfined' }],
  ])('%j privileged=%s', (opts, privileged, expected) => {
    expect(seccompChoice(opts, privileged)).toEqual(expected);
  });
});

describe('containerSeccompFilter', () => {
  it('compiles once per profile and capability set', () => {
    const a = containerSeccompFilter({ kind: 'default' }, DOCKER_DEFAULT_CAPABILITIES);
    expect(containerSeccompFilter({ kind: 'default' }, [...DOCKER_DEFAULT_CAPABILITIES].reverse())).toBe(a);
    expect(containerSeccompFilter({ kind: 'default' }, [...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'])).not.toEqual(a);
    expect(containerSeccompFilter({ kind: 'unconfined' }, DOCKER_DEFAULT_CAPABILITIES)).toBeUndefined();
  });

  it('refuses a profile that would stop the container init from waiting and passing signals on', () => {
    const file = path.join(dir, 'no-wait.json');
    fs.writeFileSync(file, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['wait4', 'kill'], action: 'SCMP_ACT_ERRNO' }] }));
    expect(() => containerSeccompFilter({ kind: 'file', file }, [])).toThrow(`seccomp profile ${file} refuses wait4, kill, which the container's init needs`);
  });

  it('names an unreadable profile file', () => {
    expect(() => containerSeccompFilter({ kind: 'file', file: path.join(dir, 'missing.json') }, [])).toThrow(/cannot read seccomp profile .*missing\.json: ENOENT/);
  });
});

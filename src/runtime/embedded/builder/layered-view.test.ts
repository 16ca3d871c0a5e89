import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireRoot, unmet } from '../../../testing/requirements.js';
import { lsetxattr, mknod } from '../native.js';
import { LayeredView } from './layered-view.js';

describe.skipIf(unmet(requireRoot()))('LayeredView', () => {
  let dir: string;
  let lower: string;
  let upper: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-view-'));
    lower = path.join(dir, 'lower');
    upper = path.join(dir, 'upper');
    for (const d of ['lower/etc', 'lower/gone', 'lower/opaque', 'lower/real', 'upper/etc', 'upper/opaque']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    fs.writeFileSync(path.join(lower, 'etc/a'), 'a');
    fs.writeFileSync(path.join(lower, 'etc/deleted'), 'x');
    fs.writeFileSync(path.join(lower, 'gone/file'), 'x');
    fs.writeFileSync(path.join(lower, 'opaque/hidden'), 'x');
    fs.writeFileSync(path.join(lower, 'real/target'), 'through the link');
    fs.writeFileSync(path.join(upper, 'etc/b'), 'b');
    fs.writeFileSync(path.join(upper, 'opaque/shown'), 'x');
    mknod(path.join(upper, 'etc/deleted'), fs.constants.S_IFCHR, 0, 0);
    mknod(path.join(upper, 'gone'), fs.constants.S_IFCHR, 0, 0);
    lsetxattr(path.join(upper, 'opaque'), 'trusted.overlay.opaque', Buffer.from('y'));
    fs.symlinkSync('/real', path.join(upper, 'abs-link'));
    fs.symlinkSync('../../../../real', path.join(upper, 'etc/climb'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('merges directories, honouring whiteouts and opaque directories', () => {
    const view = new LayeredView([upper, lower]);
    expect(view.readdir('etc')).toEqual(['a', 'b', 'climb']);
    expect(view.readdir('/')).toEqual(['abs-link', 'etc', 'opaque', 'real']);
    expect(view.readdir('opaque')).toEqual(['shown']);
    expect(view.lstat('etc/deleted')).toBeUndefined();
    expect(view.lstat('gone/file')).toBeUndefined();
    expect(view.lstat('opaque/hidden')).toBeUndefined();
    expect(view.lstat('etc/a')?.abs).toBe(path.join(lower, 'etc/a'));
  });

  it('resolves symlinks inside the root, or refuses ones that leave it', () => {
    const view = new LayeredView([upper, lower]);
    expect(view.resolve('abs-link/target')).toBe('real/target');
    expect(view.resolve('etc/climb/target')).toBe('real/target');
    expect(view.readFile('/abs-link/target')).toBe('through the link');
    expect(view.resolve('abs-link', false)).toBe('abs-link');
    const strict = new LayeredView([upper, lower], { escape: 'refuse', name: 'the build context' });
    expect(() => strict.resolve('abs-link/target')).toThrow(/leads outside the build context/);
    expect(() => strict.resolve('etc/climb')).toThrow(/leads outside/);
  });
});

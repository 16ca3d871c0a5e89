import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGroup, parsePasswd, resolveInRoot, resolveUser, resolveUserInRootfs } from './passwd.js';

const passwd = parsePasswd(
  'root:x:0:0:root:/root:/bin/sh\n# comment\nbroken line\napp:x:1000:1000:App:/home/app:/bin/sh\nweb:x:33:33::/var/www:/usr/sbin/nologin\n',
);
const groups = parseGroup('root:x:0:\nstaff:x:50:app,web\napp:x:1000:\nwww-data:x:33:app\n');

describe('resolveUser', () => {
  it.each([
    ['', { uid: 0, gid: 0, groups: [0], home: '/root' }],
    ['root', { uid: 0, gid: 0, groups: [0], home: '/root' }],
    ['app', { uid: 1000, gid: 1000, groups: [1000, 50, 33], home: '/home/app' }],
    ['1000', { uid: 1000, gid: 1000, groups: [1000, 50, 33], home: '/home/app' }],
    ['4242', { uid: 4242, gid: 0, groups: [0], home: '/' }],
    ['4242:4243', { uid: 4242, gid: 4243, groups: [4243], home: '/' }],
    // A named group is the only one, as `docker run --user app:staff` gives (checked against dockerd 20.10).
    ['app:staff', { uid: 1000, gid: 50, groups: [50], home: '/home/app' }],
    ['app:', { uid: 1000, gid: 1000, groups: [1000, 50, 33], home: '/home/app' }],
    ['web:1', { uid: 33, gid: 1, groups: [1], home: '/var/www' }],
  ])('%j', (user, expected) => expect(resolveUser(user, passwd, groups)).toEqual(expected));

  it.each([
    ['nobody', 'unable to find user nobody'],
    ['app:nogroup', 'unable to find group nogroup'],
    ['a:b:c', 'expected name|uid[:group|gid]'],
  ])('refuses %j', (user, message) => expect(() => resolveUser(user, passwd, groups)).toThrow(message));
});

describe('reading the image files', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-passwd-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('follows symlinks inside the rootfs only', async () => {
    const top = path.join(root, 'top');
    const bottom = path.join(root, 'bottom');
    fs.mkdirSync(path.join(top, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(bottom, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(bottom, 'data'), { recursive: true });
    fs.writeFileSync(path.join(bottom, 'data', 'passwd'), 'svc:x:7:8::/srv:/bin/sh\n');
    fs.symlinkSync('/../../../data/passwd', path.join(bottom, 'etc', 'passwd'));
    fs.writeFileSync(path.join(top, 'etc', 'group'), 'svcgrp:x:9:svc\n');
    expect(await resolveInRoot(bottom, '/etc/passwd')).toBe(path.join(bottom, 'data', 'passwd'));
    expect(await resolveInRoot(bottom, '/etc/missing')).toBeUndefined();
    expect(await resolveUserInRootfs([top, bottom], 'svc')).toEqual({ uid: 7, gid: 8, groups: [8, 9], home: '/srv' });
  });

  it('never reads the host through an absolute symlink', async () => {
    const img = path.join(root, 'img');
    fs.mkdirSync(path.join(img, 'etc'), { recursive: true });
    fs.symlinkSync('/etc/passwd', path.join(img, 'etc', 'group'));
    fs.symlinkSync('/etc/hostname', path.join(img, 'etc', 'passwd'));
    expect(await resolveInRoot(img, '/etc/passwd')).toBeUndefined();
    await expect(resolveUserInRootfs(img, 'root')).rejects.toThrow('unable to find user root');
  });
});

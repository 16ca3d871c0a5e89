import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { authKeyHost, dockerConfigCredentials, dockerConfigPath } from './credentials.js';

describe('credentials from ~/.docker/config.json', () => {
  it.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['http://127.0.0.1:5000', '127.0.0.1:5000'],
    ['ghcr.io', 'ghcr.io'],
  ])('auths key %s is %s', (key, host) => expect(authKeyHost(key)).toBe(host));

  it('decodes auth (base64 user:password, a colon in the password kept) and username/password', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-creds-'));
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hub:pa:ss').toString('base64') },
          '127.0.0.1:5000': { username: 'local', password: 'pw' },
          'empty.example': {},
        },
        credsStore: 'desktop',
      }),
    );
    const lookup = dockerConfigCredentials({ DOCKER_CONFIG: dir });
    expect(dockerConfigPath({ DOCKER_CONFIG: dir })).toBe(file);
    expect(lookup('docker.io')).toEqual({ username: 'hub', password: 'pa:ss', source: file });
    expect(lookup('127.0.0.1:5000')).toEqual({ username: 'local', password: 'pw', source: file });
    expect(lookup('empty.example')).toBeUndefined();
    expect(dockerConfigCredentials({ DOCKER_CONFIG: path.join(dir, 'missing') })('docker.io')).toBeUndefined();
    fs.rmSync(dir, { recursive: true });
  });
});

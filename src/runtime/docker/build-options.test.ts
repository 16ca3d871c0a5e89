import { describe, expect, it } from 'vitest';
import type { BuildSpec } from '../runtime.js';
import { composeBuildOptions } from './build-options.js';

const spec = (keys: Partial<BuildSpec> = {}): BuildSpec => ({ contextDir: '/w/app', dockerfile: 'Dockerfile', args: {}, tag: 'app:1', noCache: false, labels: {}, ...keys });

describe('composeBuildOptions', () => {
  it('sends only the tag and the Dockerfile when no Compose key is set', () => {
    expect(composeBuildOptions(spec(), 'Dockerfile')).toEqual({ t: 'app:1', dockerfile: 'Dockerfile' });
  });

  it('maps each key to the parameter the engine reads', () => {
    expect(
      composeBuildOptions(
        spec({
          extraTags: ['app:extra'],
          remoteContext: 'https://h/x.git#main:sub',
          network: 'none',
          extraHosts: { db: '10.0.0.5', v6: '::1', gw: 'host-gateway' },
          cacheFrom: ['app:cache'],
          pull: true,
          shmSize: 67108864,
          ulimits: { nofile: { soft: 1024, hard: 2048 } },
          platform: 'linux/amd64',
        }),
        'Dockerfile',
      ),
    ).toEqual({
      t: ['app:1', 'app:extra'],
      dockerfile: 'Dockerfile',
      remote: 'https://h/x.git#main:sub',
      networkmode: 'none',
      extrahosts: ['db:10.0.0.5', 'v6:::1', 'gw:host-gateway'],
      cachefrom: ['app:cache'],
      pull: true,
      shmsize: 67108864,
      ulimits: '[{"Name":"nofile","Soft":1024,"Hard":2048}]',
      platform: 'linux/amd64',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { makeStack } from '../planner/test-stack.js';
import { notCapturedNotes } from './snapshot-coverage.js';

describe('notCapturedNotes', () => {
  const stack = makeStack({
    name: 'shop',
    volumes: { data: {}, shared: { external: true }, host: { driver_opts: { type: 'none', o: 'bind', device: '/srv/host' } } },
    services: {
      app: {
        volumes: [
          { type: 'volume', source: 'data', target: '/data', read_only: false },
          { type: 'volume', target: '/anon', read_only: false },
          { type: 'volume', source: 'shared', target: '/shared', read_only: false },
          { type: 'bind', source: '/etc/app', target: '/conf', read_only: true, create_host_path: false },
          { type: 'volume', source: 'host', target: '/host', read_only: false },
          { type: 'tmpfs', target: '/tmp' },
        ],
      },
      other: { volumes: [{ type: 'bind', source: '/srv/o', target: '/o', read_only: false, create_host_path: true }] },
    },
  });

  it('names each bind, external volume and host-folder volume of the services, once, in file order (embedded)', () => {
    expect(notCapturedNotes(stack, ['app'], 'embedded', 's1')).toEqual([
      'snapshot s1: service app: external volume shared at /shared (it is not this project\'s: other users may share it) is not captured; reset leaves it as it is',
      'snapshot s1: service app: bind mount /conf (host folder /etc/app) is not captured; reset leaves it as it is',
      'snapshot s1: service app: volume shop_host at /host (host folder /srv/host) is not captured; reset leaves it as it is',
    ]);
    expect(notCapturedNotes(stack, ['other', 'nosuch'], 'embedded', 's1')).toEqual(['snapshot s1: service other: bind mount /o (host folder /srv/o) is not captured; reset leaves it as it is']);
  });

  it('on Docker names the anonymous volumes too (a reset makes the container again, with a new one)', () => {
    expect(notCapturedNotes(stack, ['app'], 'docker', 's1')).toEqual([
      'snapshot s1: service app: anonymous volume /anon (the Docker runtime commits containers without their volumes) is not captured; reset gives the container a new one, as the image has it',
      'snapshot s1: service app: external volume shared at /shared (it is not this project\'s: other users may share it) is not captured; reset leaves it as it is',
      'snapshot s1: service app: bind mount /conf (host folder /etc/app) is not captured; reset leaves it as it is',
      'snapshot s1: service app: volume shop_host at /host (host folder /srv/host) is not captured; reset leaves it as it is',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { containerSpec } from '../executor/container-spec.js';
import { makeStack } from '../planner/test-stack.js';
import { runSpecChange, type RunSpecFlags } from './run-flags.js';

const none: RunSpecFlags = { volume: [], label: [], capAdd: [], capDrop: [], publish: [] };
const stack = () =>
  makeStack({
    services: { web: { image: 'busybox', ports: [{ target: 80, published: 8080, host_ip: '127.0.0.1', protocol: 'tcp' }], cap_add: ['NET_ADMIN'] } },
    volumes: { data: {} },
  });

/** The one-off's spec as run-one-off.ts makes it, with the flags applied. */
function oneOff(flags: Partial<RunSpecFlags>, env: NodeJS.ProcessEnv = {}) {
  const change = runSpecChange(stack(), 'web', { ...none, ...flags }, env);
  const def = change.stack.services.web!;
  const spec = containerSpec(change.stack, def, { service: 'web', number: 1, container: 'shop-web-run-1', image: 'busybox', configHash: 'x' });
  change.adjust(spec);
  return spec;
}

describe('run flags on the one-off', () => {
  it('publishes no port of the service unless --service-ports; -p adds its own (127.0.0.1 unless HAFEN_PUBLISH_ALL)', () => {
    expect(oneOff({}).ports).toEqual([]);
    expect(oneOff({ servicePorts: true }).ports.map((p) => p.target)).toEqual([80]);
    expect(oneOff({ publish: ['9000:90'] }).ports).toEqual([expect.objectContaining({ target: 90, published: 9000, host_ip: '127.0.0.1' })]);
    expect(oneOff({ publish: ['9000:90'] }, { HAFEN_PUBLISH_ALL: '1' }).ports[0]!.host_ip).toBe('0.0.0.0');
  });

  it('answers to the service\'s names only with --use-aliases, never to its first replica\'s', () => {
    expect(oneOff({}).networks.map((n) => n.aliases)).toEqual([[]]);
    expect(oneOff({ useAliases: true }).networks.map((n) => n.aliases)).toEqual([['web']]);
  });

  it('takes user, folder, entrypoint (split as words), labels, capabilities and mounts as the file would', () => {
    const spec = oneOff({ user: '1000:1000', workdir: '/w', entrypoint: 'sh -c "a b"', label: ['k=v', 'bare'], capAdd: ['SYS_TIME'], capDrop: ['ALL'], volume: ['data:/d:ro', '/abs:/a'] });
    expect(spec).toMatchObject({ user: '1000:1000', workingDir: '/w', entrypoint: ['sh', '-c', 'a b'], capAdd: ['NET_ADMIN', 'SYS_TIME'], capDrop: ['ALL'] });
    expect(spec.labels).toMatchObject({ k: 'v', bare: '' });
    expect(spec.mounts).toEqual([
      { type: 'volume', source: 'shop_data', target: '/d', readOnly: true },
      { type: 'bind', source: '/abs', target: '/a', readOnly: false },
    ]);
  });

  it('refuses a bad value naming the flag', () => {
    expect(() => oneOff({ volume: ['other:/x'] })).toThrow('--volume other:/x: the volume "other" is not in the file\'s volumes:');
    expect(() => oneOff({ publish: ['99999'] })).toThrow(/^--publish 99999: /);
    expect(() => oneOff({ label: ['=v'] })).toThrow('--label =v: expected KEY=VALUE or KEY');
    expect(() => oneOff({ entrypoint: '"open' })).toThrow(/^--entrypoint "open: /);
  });
});

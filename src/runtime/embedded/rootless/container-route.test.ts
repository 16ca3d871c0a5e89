import { describe, expect, it } from 'vitest';
import { outboundRouteLines } from './container-route.js';

describe('outboundRouteLines (a rootless container\'s default route)', () => {
  it('goes through the first network that is not internal, on its interface', () => {
    const networks = [
      { gateway: '10.210.0.1', internal: true },
      { gateway: '10.210.1.1', internal: false },
      { gateway: '10.210.2.1', internal: false },
    ];
    expect(outboundRouteLines(networks, true)).toEqual(['route add default via 10.210.1.1 dev eth1']);
  });

  it('is none without outbound network, or on internal networks only', () => {
    expect(outboundRouteLines([{ gateway: '10.210.0.1', internal: false }], false)).toEqual([]);
    expect(outboundRouteLines([{ gateway: '10.210.0.1', internal: true }], true)).toEqual([]);
    expect(outboundRouteLines([], true)).toEqual([]);
  });
});

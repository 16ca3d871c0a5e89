/** The relay's ready line, as reverse-link.ts reads it from the forwarder's log. */
import { describe, expect, it } from 'vitest';
import { RELAY_READY, relayAddresses } from './ship-relay.js';

describe('relayAddresses', () => {
  it('reads the addresses of each bridge, none for a relay on no bridge, and nothing before the relay is ready', () => {
    expect(relayAddresses(`Warning: x\n${RELAY_READY} on 10.1.0.1,10.1.1.1 ports 4100,4101\n`)).toEqual(['10.1.0.1', '10.1.1.1']);
    expect(relayAddresses(`${RELAY_READY} on  ports 4100\n`)).toEqual([]);
    expect(relayAddresses('hafen relay: no IPv4 address on hf-1 here\n')).toBeUndefined();
  });
});

/** Compose's networking keys as Docker's create requests take them. */
import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../runtime.js';
import { defaultContainerSpec } from '../spec-defaults.js';
import { createRequest } from './create-options.js';
import { dockerNetworkExtras } from './networking-options.js';

const base: ContainerSpec = defaultContainerSpec('p', 'a-1', {
  image: 'busybox',
  networks: [{ name: 'p_default', aliases: ['a'], ipv4Address: '10.5.0.9', macAddress: '02:42:0a:05:00:09' }],
  extraHosts: { gw: 'host-gateway' },
});

describe('Docker networking options', () => {
  it('passes the resolver, domain name and MAC address', () => {
    const { options } = createRequest({ ...base, dns: ['10.0.0.53'], dnsSearch: ['corp.test'], dnsOptions: ['ndots:2'], domainname: 'corp.test' }, 'busybox');
    expect(options.HostConfig).toMatchObject({ Dns: ['10.0.0.53'], DnsSearch: ['corp.test'], DnsOptions: ['ndots:2'], NetworkMode: 'p_default', ExtraHosts: ['gw:host-gateway'] });
    expect(options).toMatchObject({ Domainname: 'corp.test', MacAddress: '02:42:0a:05:00:09', Hostname: 'a-1' });
    expect(options.NetworkingConfig?.EndpointsConfig?.p_default?.IPAMConfig).toEqual({ IPv4Address: '10.5.0.9' });
  });

  it('takes network_mode as NetworkMode; a shared namespace brings no host name or hosts of its own', () => {
    const host = createRequest({ ...base, networks: [], networkMode: { kind: 'host' } }, 'busybox').options;
    expect(host.HostConfig?.NetworkMode).toBe('host');
    expect(host.NetworkingConfig).toBeUndefined();
    expect(createRequest({ ...base, networks: [], networkMode: { kind: 'none' } }, 'busybox').options.HostConfig?.NetworkMode).toBe('none');
    const joined = createRequest({ ...base, networks: [], networkMode: { kind: 'container', container: 'p-web-1' } }, 'busybox').options;
    expect(joined.HostConfig?.NetworkMode).toBe('container:p-web-1');
    expect(joined.Hostname).toBeUndefined();
    expect(joined.HostConfig?.ExtraHosts).toBeUndefined();
  });

  it('creates networks with every address pool and the driver options', () => {
    expect(
      dockerNetworkExtras({
        name: 'n',
        labels: {},
        internal: false,
        ipam: [{ subnet: '172.28.0.0/16', gateway: '172.28.5.254', ipRange: '172.28.5.0/24', auxAddresses: { r: '172.28.1.5' } }, { subnet: 'fd00::/64' }],
        driverOpts: { 'com.docker.network.driver.mtu': '1400' },
        attachable: true,
        enableIpv6: true,
      }),
    ).toEqual({
      IPAM: {
        Driver: 'default',
        Config: [{ Subnet: '172.28.0.0/16', Gateway: '172.28.5.254', IPRange: '172.28.5.0/24', AuxiliaryAddresses: { r: '172.28.1.5' } }, { Subnet: 'fd00::/64' }],
      },
      Options: { 'com.docker.network.driver.mtu': '1400' },
      Attachable: true,
      EnableIPv6: true,
    });
  });
});

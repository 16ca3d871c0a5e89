/** Published ports of the embedded runtime: userland TCP/UDP proxies from the host to containers. */
export { formatEndpoint, listenAddress, PublishError, startProxy, type Proxy, type ProxyOptions, type ProxySpec } from './proxy.js';
export { ProxySet, type PublishedPort } from './proxy-set.js';

/** Stack networks of the embedded runtime: subnets, bridges, container wiring and name files. */
export { attachCommands, attachContainer, checkAttached, detachContainer, prepareAttach, type AttachCommands, type AttachedInterface, type Attachment, type AttachSpec, type Endpoint } from './attach.js';
export { createBridge, removeBridge, type BridgeInfo, type BridgeSpec, type DebugLog } from './bridge.js';
export { formatCidr, parseCidr, type Cidr } from './cidr.js';
export { readHostSubnets, type HostSubnet } from './host-routes.js';
export { updateHosts, writeInPlace, writeNameFiles, type HostsTarget, type NameFiles } from './hosts-files.js';
export { renderHostname, renderHosts, renderResolvConf, type HostsMember } from './hosts.js';
export { resolvConfText, type ResolverSettings } from './resolv-conf.js';
export { netnsFile, type NetnsRef } from './ip-command.js';
export { allocationsFile, DEFAULT_POOL, Ipam, parseSubnetPool, type IpamOptions, type NetworkAllocation, type PoolRange } from './ipam.js';
export * from './names.js';

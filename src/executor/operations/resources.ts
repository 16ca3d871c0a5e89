/** Network and volume operations, labelled with the project so `down` finds them again. */
import type { PlanNodeOf } from '../../planner/plan.js';
import type { Network } from '../../config/model.js';
import { Label, type NetworkSpec } from '../../runtime/runtime.js';
import type { OperationContext } from './context.js';

/** Creates a stack network (`<project>_<key>`). */
export async function createNetwork(node: PlanNodeOf<'create-network'>, ctx: OperationContext): Promise<void> {
  const net = ctx.stack.networks[node.network];
  await ctx.runtime.createNetwork({
    name: node.name,
    labels: { ...net?.labels, [Label.project]: ctx.stack.name },
    internal: net?.internal ?? false,
    ...(net?.subnet ? { subnet: net.subnet } : {}),
    ...(net ? networkExtras(net) : {}),
  });
}

/** Creates a stack volume (`<project>_<key>`). */
export async function createVolume(node: PlanNodeOf<'create-volume'>, ctx: OperationContext): Promise<void> {
  const vol = ctx.stack.volumes[node.volume];
  await ctx.runtime.createVolume({
    name: node.name,
    labels: { ...vol?.labels, [Label.project]: ctx.stack.name },
    ...(vol && Object.keys(vol.driver_opts).length > 0 ? { driverOpts: { ...vol.driver_opts } } : {}),
  });
}

/** Removes a network by its runtime name. */
export async function removeNetwork(node: PlanNodeOf<'remove-network'>, ctx: OperationContext): Promise<void> {
  await ctx.runtime.removeNetwork(node.name);
}

/** Removes a volume by its runtime name. */
export async function removeVolume(node: PlanNodeOf<'remove-volume'>, ctx: OperationContext): Promise<void> {
  await ctx.runtime.removeVolume(node.name);
}

/** Compose's further network keys as the runtime takes them; only what the file sets. */
function networkExtras(net: Network): Partial<NetworkSpec> {
  const out: Partial<NetworkSpec> = {};
  if (net.ipam.length > 0) {
    out.ipam = net.ipam.map((p) => ({
      ...(p.subnet ? { subnet: p.subnet } : {}),
      ...(p.gateway ? { gateway: p.gateway } : {}),
      ...(p.ip_range ? { ipRange: p.ip_range } : {}),
      ...(Object.keys(p.aux_addresses).length > 0 ? { auxAddresses: { ...p.aux_addresses } } : {}),
    }));
  }
  if (Object.keys(net.driver_opts).length > 0) out.driverOpts = { ...net.driver_opts };
  if (net.attachable) out.attachable = true;
  if (net.enable_ipv6) out.enableIpv6 = true;
  return out;
}

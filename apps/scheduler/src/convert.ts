// SPDX-License-Identifier: Apache-2.0
// Translation between the gRPC contract (proto) and the placement model, in one place.

import type {
  PlacementHost,
  IommuMode as PlacementMode,
  NumaPolicy as PlacementNuma,
  VmRequest,
} from '@iofleet/placement';
import { type HostInventory, IommuMode, NumaPolicy, type VmSpec } from '@iofleet/proto';
import { RequestError } from './errors';

const MODE_TO_PLACEMENT: Record<number, PlacementMode> = {
  [IommuMode.IOMMU_MODE_OFF]: 'off',
  [IommuMode.IOMMU_MODE_PASSTHROUGH]: 'pt',
  [IommuMode.IOMMU_MODE_LAZY]: 'lazy',
  [IommuMode.IOMMU_MODE_STRICT]: 'strict',
};
export const MODE_FROM_PLACEMENT: Record<PlacementMode, IommuMode> = {
  off: IommuMode.IOMMU_MODE_OFF,
  pt: IommuMode.IOMMU_MODE_PASSTHROUGH,
  lazy: IommuMode.IOMMU_MODE_LAZY,
  strict: IommuMode.IOMMU_MODE_STRICT,
};
const NUMA: Record<number, PlacementNuma> = {
  [NumaPolicy.NUMA_POLICY_REQUIRED]: 'required',
  [NumaPolicy.NUMA_POLICY_PREFERRED]: 'preferred',
  [NumaPolicy.NUMA_POLICY_SOCKET]: 'socket',
  [NumaPolicy.NUMA_POLICY_NONE]: 'none',
  [NumaPolicy.NUMA_POLICY_UNSPECIFIED]: 'none',
};

/** Validates a VmSpec; throws RequestError naming the offending field. */
export function vmRequestFromSpec(vmId: string, spec: VmSpec | undefined): VmRequest {
  if (!vmId) throw new RequestError('vm_id is required');
  if (!spec) throw new RequestError('spec is required');
  if (spec.vcpus <= 0) throw new RequestError('spec.vcpus must be positive');
  if (spec.memoryMib <= 0n) throw new RequestError('spec.memory_mib must be positive');
  const aliases = new Set<string>();
  const devices = spec.devices.map((d, i) => {
    if (!d.alias) throw new RequestError(`spec.devices[${i}].alias is required`);
    if (aliases.has(d.alias)) throw new RequestError(`spec.devices[${i}].alias '${d.alias}' is repeated`);
    aliases.add(d.alias);
    if (!d.deviceClass) throw new RequestError(`spec.devices[${i}].device_class is required`);
    if (d.count <= 0) throw new RequestError(`spec.devices[${i}].count must be positive`);
    return {
      alias: d.alias,
      deviceClass: d.deviceClass,
      vendor: d.vendor || undefined,
      product: d.product || undefined,
      count: d.count,
      allowVf: d.allowVf,
    };
  });
  for (const [i, c] of spec.colocate.entries()) {
    for (const a of c.aliases)
      if (!aliases.has(a)) throw new RequestError(`spec.colocate[${i}] names unknown alias '${a}'`);
  }
  const modes = spec.acceptableModes.map((m) => {
    const pm = MODE_TO_PLACEMENT[m];
    if (!pm) throw new RequestError(`spec.acceptable_modes has an unknown mode ${m}`);
    return pm;
  });
  return {
    id: vmId,
    vcpus: spec.vcpus,
    memoryMiB: Number(spec.memoryMib),
    devices,
    numaPolicy: NUMA[spec.numaPolicy] ?? 'none',
    colocate: spec.colocate.length ? spec.colocate.map((c) => c.aliases) : undefined,
    antiAffinityGroup: spec.antiAffinityGroup || undefined,
    acceptableModes: modes.length ? modes : undefined,
  };
}

export function placementHostFromInventory(inv: HostInventory): PlacementHost {
  return {
    id: inv.hostId,
    iommuMode: MODE_TO_PLACEMENT[inv.iommuMode] ?? 'off',
    numaNodes: inv.numaNodes.map((n) => ({ id: n.id, socket: n.socket, cpus: n.cpus, memoryMiB: Number(n.memoryMib) })),
    devices: inv.devices.map((d) => ({
      id: d.id,
      vendor: d.vendor,
      product: d.product,
      deviceClass: d.deviceClass,
      numaNode: d.numaNode,
      pcieRoot: d.pcieRoot,
      iommuGroup: d.iommuGroup,
      physfn: d.physfn || undefined,
      hasVfs: d.hasVfs,
      healthy: d.healthy,
      hostBound: d.hostBound,
    })),
  };
}

// SPDX-License-Identifier: Apache-2.0
// What a booted host offers VMs, in placement's terms (@iofleet/placement's model): its IOMMU mode,
// its NUMA nodes and its PCI endpoints with the facts placement decides on (class, NUMA node, root
// port, IOMMU group, SR-IOV relations, host-bound), and the plugin that models each. The host
// agent reports it in its gRPC inventory, the what-if engine places on it: both read it here, so an
// agent and a what-if see the same host the same way.
import { domainTypeSysfs } from '@iofleet/core/linux';
import type { IommuMode, PlacementDevice, PlacementHost } from '@iofleet/placement';
import { fullName, type HostDevice, type HostImpl } from './host';

/** A device of the inventory: placement's record of it, and the device plugin that models it. */
export type InventoryDevice = PlacementDevice & { plugin?: string };

/** A host's inventory: placement's view of it (but its id, which the agent or the fleet gives). */
export type HostInventoryView = Omit<PlacementHost, 'id' | 'devices'> & { devices: InventoryDevice[] };

/** The mode of the host's default domains (iommu.passthrough / iommu.strict as booted). */
export function inventoryIommuMode(h: HostImpl): IommuMode {
  if (!h.iommuEnabled) return 'off';
  const t = domainTypeSysfs(h.policy.global.type);
  return t === 'identity' ? 'pt' : t === 'DMA' ? 'strict' : 'lazy';
}

/** A PCI function kind a VM can be given: a PCIe or conventional PCI endpoint (not a bridge or a port). */
export const isEndpointKind = (kind: string): boolean => kind === 'endpoint' || kind === 'pciEndpoint';

/** A device a VM can be given (isEndpointKind). */
export const isPciEndpoint = (d: HostDevice): boolean => isEndpointKind(d.fn.kind);

function inventoryDevice(h: HostImpl, d: HostDevice): InventoryDevice {
  let root = d.fn;
  while (root.parent) root = root.parent;
  const desc = d.fn.desc;
  return {
    id: fullName(d.fn),
    vendor: desc.vendor ?? '',
    product: desc.device ?? '',
    deviceClass: desc.class ?? '',
    // The function's node, else its root port's.
    numaNode: desc.numaNode ?? root.desc.numaNode ?? 0,
    pcieRoot: fullName(root),
    // Without an IOMMU there are no groups (0: the host cannot assign).
    iommuGroup: d.group?.id ?? 0,
    ...(desc.virtfnOf && { physfn: fullName(h.device(desc.virtfnOf).fn) }),
    ...((desc.sriovVfs ?? 0) > 0 && { hasVfs: true }),
    healthy: true,
    ...(desc.hostBound && { hostBound: true }),
    ...(desc.plugin && { plugin: desc.plugin }),
  };
}

/** The inventory of a booted host (see the file comment); CPUs are the host's cores spread evenly over its nodes. */
export function hostInventory(h: HostImpl): HostInventoryView {
  const d = h.desc;
  const perNode = Math.ceil((d.cpu.sockets * d.cpu.coresPerSocket) / d.numaNodes.length);
  return {
    numaNodes: d.numaNodes.map((n, i) => ({
      id: n.id,
      socket: Math.min(i, d.cpu.sockets - 1),
      cpus: perNode,
      memoryMiB: Math.round(n.memoryGiB * 1024),
    })),
    devices: h.devices.filter(isPciEndpoint).map((x) => inventoryDevice(h, x)),
    iommuMode: inventoryIommuMode(h),
  };
}

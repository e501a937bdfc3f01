// SPDX-License-Identifier: Apache-2.0
// What a booted host offers VMs, in plain values: its IOMMU mode, its NUMA nodes and its PCI
// endpoints with the facts placement decides on (class, NUMA node, root port, IOMMU group, SR-IOV
// relations, host-bound). The host agent reports it in its gRPC inventory, the what-if engine
// places on it: both read it here, so an agent and a what-if see the same host the same way.
import { domainTypeSysfs } from '@iofleet/core/linux';
import { fullName, type HostDevice, type HostImpl } from './host';

/** The default domain type in the names of the what-if variants and `iofleet host run --modes`. */
export type InventoryIommuMode = 'off' | 'pt' | 'strict' | 'lazy';

export interface InventoryNumaNode {
  id: number;
  /** The socket the node is on (nodes beyond the sockets share the last). */
  socket: number;
  /** CPUs of the node: the host's cores spread evenly over its nodes (rounded up). */
  cpus: number;
  memoryMiB: number;
}

export interface InventoryDevice {
  /** Segment-qualified PCI address, "0000:03:00.0". */
  id: string;
  vendor: string;
  product: string;
  deviceClass: string;
  /** The function's NUMA node, else its root port's, else 0. */
  numaNode: number;
  /** The root port (or root complex) the function sits below. */
  pcieRoot: string;
  /** IOMMU group number; 0 without an IOMMU (no groups: the host cannot assign). */
  iommuGroup: number;
  /** SR-IOV: the PF of a virtual function; absent otherwise. */
  physfn?: string;
  /** A physical function with VFs enabled. */
  hasVfs: boolean;
  /** Held by a driver of the host itself: its group is not viable for VMs. */
  hostBound: boolean;
  /** The device plugin that models it, if any. */
  plugin?: string;
}

export interface HostInventoryView {
  iommuMode: InventoryIommuMode;
  numaNodes: InventoryNumaNode[];
  /** The PCI endpoints (bridges and root ports left out), in the host's order. */
  devices: InventoryDevice[];
}

/** The mode of the host's default domains (iommu.passthrough / iommu.strict as booted). */
export function inventoryIommuMode(h: HostImpl): InventoryIommuMode {
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
    numaNode: desc.numaNode ?? root.desc.numaNode ?? 0,
    pcieRoot: fullName(root),
    iommuGroup: d.group?.id ?? 0,
    ...(desc.virtfnOf && { physfn: fullName(h.device(desc.virtfnOf).fn) }),
    hasVfs: (desc.sriovVfs ?? 0) > 0,
    hostBound: !!desc.hostBound,
    ...(desc.plugin && { plugin: desc.plugin }),
  };
}

/** The inventory view of a booted host (see the file comment). */
export function hostInventory(h: HostImpl): HostInventoryView {
  const d = h.desc;
  const perNode = Math.ceil((d.cpu.sockets * d.cpu.coresPerSocket) / d.numaNodes.length);
  return {
    iommuMode: inventoryIommuMode(h),
    numaNodes: d.numaNodes.map((n, i) => ({
      id: n.id,
      socket: Math.min(i, d.cpu.sockets - 1),
      cpus: perNode,
      memoryMiB: Math.round(n.memoryGiB * 1024),
    })),
    devices: h.devices.filter(isPciEndpoint).map((x) => inventoryDevice(h, x)),
  };
}

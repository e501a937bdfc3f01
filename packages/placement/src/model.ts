// SPDX-License-Identifier: Apache-2.0
// Fleet state and VM requests as the placement policy sees them. Plain data, no behaviour, so the
// scheduler can keep it in Redis and the embedded simulator in memory.

export type IommuMode = 'off' | 'pt' | 'lazy' | 'strict';

export interface PlacementDevice {
  /** Unique within the host, e.g. the PCI address "0000:03:00.0". */
  id: string;
  vendor: string;
  product: string;
  /** Device class used for matching: nvme, nic, gpu, audio, ... */
  deviceClass: string;
  numaNode: number;
  /** PCIe root port (or root complex) the device sits below: co-location is decided on it. */
  pcieRoot: string;
  /** IOMMU group number on the host: a VM takes whole groups. */
  iommuGroup: number;
  /** SR-IOV: the PF's id for a virtual function; absent for PFs and plain devices. */
  physfn?: string;
  /** True for a physical function that has VFs enabled. */
  hasVfs?: boolean;
  healthy: boolean;
  /** Held by a driver of the host itself (boot disk, management NIC): its group is not viable for VMs. */
  hostBound?: boolean;
}

export interface PlacementNumaNode {
  id: number;
  /** Socket the node belongs to (for the `socket` NUMA policy). */
  socket: number;
  cpus: number;
  memoryMiB: number;
}

export interface PlacementHost {
  id: string;
  numaNodes: PlacementNumaNode[];
  devices: PlacementDevice[];
  iommuMode: IommuMode;
}

/** What is in use on a host: kept apart from the static description so state updates are cheap. */
export interface HostUsage {
  /** Per NUMA node id: vCPUs and MiB in use. */
  cpusUsed: Map<number, number>;
  memoryUsedMiB: Map<number, number>;
  /** Device id -> VM id holding it. */
  deviceOwner: Map<string, string>;
  /** Anti-affinity group -> number of VMs of that group on the host. */
  antiAffinity: Map<string, number>;
  vmCount: number;
}

/** NUMA policies as Nova defines them (hw:pci_numa_affinity_policy). */
export type NumaPolicy = 'required' | 'preferred' | 'socket' | 'none';

export interface DeviceRequest {
  /** A name the request uses for co-location rules, e.g. "gpu0". */
  alias: string;
  /** Match on class, and optionally vendor/product. */
  deviceClass: string;
  vendor?: string;
  product?: string;
  count: number;
  /** Accept SR-IOV virtual functions for this request (default: false = whole devices/PFs only). */
  allowVf?: boolean;
}

export interface VmRequest {
  id: string;
  vcpus: number;
  memoryMiB: number;
  devices: DeviceRequest[];
  numaPolicy: NumaPolicy;
  /** Each inner list of aliases must sit under one PCIe root. */
  colocate?: string[][];
  /** VMs of one anti-affinity group never share a host. */
  antiAffinityGroup?: string;
  /** IOMMU modes the VM accepts on its host (default: any mode with the IOMMU on). */
  acceptableModes?: IommuMode[];
}

export type Strategy = 'pack' | 'spread';

export interface PolicyOptions {
  strategy: Strategy;
  /** Bound on hosts examined per decision (STYLE.md item 16): the decision's cost is capped. */
  maxCandidates: number;
  /** Stop looking once this many feasible hosts were found (as Kubernetes' numFeasibleNodesToFind). */
  maxFeasible: number;
  /** Bound on device-combination search steps per host. */
  maxSearchSteps: number;
  /** Weights of the weighers. */
  weights: { fill: number; numaLocality: number; groupFragmentation: number };
}

export const DEFAULT_POLICY: PolicyOptions = {
  strategy: 'pack',
  maxCandidates: 10_000,
  maxFeasible: 16,
  maxSearchSteps: 4_096,
  weights: { fill: 1, numaLocality: 1, groupFragmentation: 1 },
};

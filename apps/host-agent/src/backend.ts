// SPDX-License-Identifier: Apache-2.0
// What the agent serves: one simulated host. The production backend wraps an @iofleet/host model;
// the agent itself only validates, serialises, de-duplicates and translates errors.

import type { HostInventory, RunWorkloadRequest, WatchEventsResponse, WorkloadResult } from '@iofleet/proto';

export interface AttachOutcome {
  /** Requested devices plus the companions of their IOMMU groups. */
  attachedDeviceIds: string[];
  iommuGroups: number[];
}

export interface HostBackend {
  readonly hostId: string;
  inventory(): HostInventory;
  /** Assigns devices to a VM through VFIO; throws AgentError (NOT_FOUND, FAILED_PRECONDITION...). */
  attach(vmId: string, deviceIds: readonly string[], guestMemoryMiB: number): AttachOutcome;
  /** Frees everything the VM holds; returns the devices freed (empty when it held none). */
  detach(vmId: string): string[];
  runWorkload(req: RunWorkloadRequest, signal: AbortSignal): Promise<WorkloadResult>;
  stats(): Record<string, number>;
  /** Subscribes to boot/attach/fault/workload events; returns an unsubscribe function. */
  onEvent(listener: (e: WatchEventsResponse) => void): () => void;
}

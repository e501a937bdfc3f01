// SPDX-License-Identifier: Apache-2.0
// A minimal in-memory host for the agent's own tests (group viability and ownership only). The
// production backend is the @iofleet/host model; this double keeps these tests about the agent.
import type { HostInventory, WatchEventsResponse, WorkloadResult } from '@iofleet/proto';
import { IommuMode } from '@iofleet/proto';
import type { AttachOutcome, HostBackend } from '../backend';
import { AgentError } from '../errors';

export class ToyBackend implements HostBackend {
  readonly owner = new Map<string, string>();
  private listeners = new Set<(e: WatchEventsResponse) => void>();
  constructor(
    readonly hostId: string,
    /** device id -> IOMMU group */
    readonly groups: Record<string, number>,
    readonly workloadDelayMs = 0,
  ) {}
  inventory(): HostInventory {
    return {
      hostId: this.hostId,
      iommuMode: IommuMode.IOMMU_MODE_LAZY,
      numaNodes: [{ id: 0, socket: 0, cpus: 64, memoryMib: 262144n }],
      cpuVendor: 'intel',
      devices: Object.entries(this.groups).map(([id, g]) => ({
        id,
        vendor: '0000',
        product: '0000',
        deviceClass: 'gpu',
        numaNode: 0,
        pcieRoot: 'r',
        iommuGroup: g,
        physfn: '',
        hasVfs: false,
        healthy: true,
        hostBound: false,
        plugin: '',
        ownerVmId: this.owner.get(id) ?? '',
      })),
    };
  }
  attach(vmId: string, deviceIds: readonly string[]): AttachOutcome {
    const groups = new Set<number>();
    for (const d of deviceIds) {
      const g = this.groups[d];
      if (g === undefined) throw new AgentError('NOT_FOUND', `device ${d} not found`);
      groups.add(g);
    }
    const all = Object.keys(this.groups).filter((d) => groups.has(this.groups[d]!));
    for (const d of all) {
      const o = this.owner.get(d);
      if (o && o !== vmId)
        throw new AgentError('FAILED_PRECONDITION', `group ${this.groups[d]} is not viable: ${d} is held by ${o}`);
    }
    for (const d of all) this.owner.set(d, vmId);
    for (const l of this.listeners)
      l({
        hostId: this.hostId,
        time: new Date(),
        event: { $case: 'attach', value: { vmId, deviceIds: all, attached: true } },
      });
    return { attachedDeviceIds: all, iommuGroups: [...groups] };
  }
  detach(vmId: string): string[] {
    const out = [...this.owner].filter(([, v]) => v === vmId).map(([d]) => d);
    for (const d of out) this.owner.delete(d);
    return out;
  }
  async runWorkload(_req: unknown, signal: AbortSignal): Promise<WorkloadResult> {
    await new Promise((r, j) => {
      const t = setTimeout(r, this.workloadDelayMs);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        j(new AgentError('DEADLINE_EXCEEDED', 'cancelled'));
      });
    });
    return {
      mode: IommuMode.IOMMU_MODE_LAZY,
      iops: 1,
      gbps: 0,
      latencyP50Ns: 0,
      latencyP99Ns: 0,
      cpuNsPerIo: 0,
      iotlbHitRate: 1,
      faults: 0n,
      pageTableBytes: 0n,
    };
  }
  stats(): Record<string, number> {
    return { owned: this.owner.size };
  }
  onEvent(l: (e: WatchEventsResponse) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

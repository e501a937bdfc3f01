// SPDX-License-Identifier: Apache-2.0
// Mutable fleet state: static host descriptions plus what is in use, with the indexes that keep
// a placement decision's cost independent of the fleet's size (candidates per device class).

import type { HostUsage, PlacementDevice, PlacementHost, VmRequest } from './model';

export interface HostEntry {
  index: number;
  host: PlacementHost;
  usage: HostUsage;
  /** IOMMU group -> its devices. */
  groups: Map<number, PlacementDevice[]>;
  /** PF id -> its VFs. */
  vfsOf: Map<string, PlacementDevice[]>;
  byId: Map<string, PlacementDevice>;
  /** Free healthy devices per class (an upper bound used to skip hosts fast). */
  freeByClass: Map<string, number>;
  /** The host cannot take VMs: its agent is gone (set by the scheduler's heartbeats). */
  down: boolean;
}

export interface Assignment {
  vmId: string;
  hostId: string;
  numaNode: number;
  /** Every device the VM holds: requested ones and the companions of their IOMMU groups. */
  deviceIds: string[];
  /** alias -> device ids matched for it. */
  byAlias: Record<string, string[]>;
}

function newUsage(): HostUsage {
  return { cpusUsed: new Map(), memoryUsedMiB: new Map(), deviceOwner: new Map(), antiAffinity: new Map(), vmCount: 0 };
}

export class FleetState {
  readonly hosts: HostEntry[] = [];
  private readonly byHostId = new Map<string, HostEntry>();
  /** class -> host indexes that may have a free device of it (lazily compacted). */
  readonly classIndex = new Map<string, number[]>();
  private readonly inClassIndex = new Map<string, Set<number>>();
  readonly assignments = new Map<string, Assignment>();
  /** The request behind each assignment (its vCPUs and memory are released with it). */
  private readonly requests = new Map<string, VmRequest>();

  constructor(hosts: readonly PlacementHost[] = []) {
    for (const h of hosts) this.addHost(h);
  }

  addHost(host: PlacementHost): HostEntry {
    if (this.byHostId.has(host.id)) throw new RangeError(`duplicate host id ${host.id}`);
    const entry: HostEntry = {
      index: this.hosts.length,
      host,
      usage: newUsage(),
      groups: new Map(),
      vfsOf: new Map(),
      byId: new Map(),
      freeByClass: new Map(),
      down: false,
    };
    for (const d of host.devices) {
      entry.byId.set(d.id, d);
      const g = entry.groups.get(d.iommuGroup) ?? [];
      g.push(d);
      entry.groups.set(d.iommuGroup, g);
      if (d.physfn) entry.vfsOf.set(d.physfn, [...(entry.vfsOf.get(d.physfn) ?? []), d]);
      if (d.healthy) entry.freeByClass.set(d.deviceClass, (entry.freeByClass.get(d.deviceClass) ?? 0) + 1);
    }
    this.hosts.push(entry);
    this.byHostId.set(host.id, entry);
    for (const cls of entry.freeByClass.keys()) this.indexClass(cls, entry.index);
    return entry;
  }

  host(id: string): HostEntry | undefined {
    return this.byHostId.get(id);
  }

  private indexClass(cls: string, hostIndex: number): void {
    let set = this.inClassIndex.get(cls);
    if (!set) {
      set = new Set();
      this.inClassIndex.set(cls, set);
      this.classIndex.set(cls, []);
    }
    if (set.has(hostIndex)) return;
    set.add(hostIndex);
    this.classIndex.get(cls)!.push(hostIndex);
  }

  /** Drops a host from a class list once it has no free device of that class (swap-remove at pos). */
  dropFromClass(cls: string, pos: number): void {
    const list = this.classIndex.get(cls)!;
    const hostIndex = list[pos]!;
    list[pos] = list[list.length - 1]!;
    list.pop();
    this.inClassIndex.get(cls)!.delete(hostIndex);
  }

  /** Marks a host down (no placement considers it) or up again; false for an unknown host. */
  setDown(hostId: string, down: boolean): boolean {
    const entry = this.byHostId.get(hostId);
    if (!entry) return false;
    entry.down = down;
    return true;
  }

  /** Records a placement. The caller has checked it (placeVm does). */
  commit(vm: VmRequest, a: Assignment): void {
    const entry = this.byHostId.get(a.hostId)!;
    const u = entry.usage;
    u.cpusUsed.set(a.numaNode, (u.cpusUsed.get(a.numaNode) ?? 0) + vm.vcpus);
    u.memoryUsedMiB.set(a.numaNode, (u.memoryUsedMiB.get(a.numaNode) ?? 0) + vm.memoryMiB);
    for (const id of a.deviceIds) {
      if (u.deviceOwner.has(id))
        throw new RangeError(`device ${id} on ${a.hostId} already held by ${u.deviceOwner.get(id)}`);
      u.deviceOwner.set(id, vm.id);
      const d = entry.byId.get(id)!;
      if (d.healthy) entry.freeByClass.set(d.deviceClass, (entry.freeByClass.get(d.deviceClass) ?? 1) - 1);
    }
    if (vm.antiAffinityGroup)
      u.antiAffinity.set(vm.antiAffinityGroup, (u.antiAffinity.get(vm.antiAffinityGroup) ?? 0) + 1);
    u.vmCount++;
    this.assignments.set(vm.id, a);
    this.requests.set(vm.id, vm);
  }

  /**
   * Makes the local view of a host's device owners equal `owners` (device id -> VM id), as read
   * from the shared store: devices other schedulers reserved become busy here, devices they freed
   * become free. VMs this state placed keep their records.
   */
  syncDeviceOwners(hostId: string, owners: Readonly<Record<string, string>>): void {
    const entry = this.byHostId.get(hostId);
    if (!entry) return;
    const u = entry.usage;
    for (const d of entry.host.devices) {
      const want = owners[d.id];
      const have = u.deviceOwner.get(d.id);
      if (want === have) continue;
      if (have === undefined && d.healthy)
        entry.freeByClass.set(d.deviceClass, (entry.freeByClass.get(d.deviceClass) ?? 1) - 1);
      if (want === undefined) {
        u.deviceOwner.delete(d.id);
        if (d.healthy) {
          entry.freeByClass.set(d.deviceClass, (entry.freeByClass.get(d.deviceClass) ?? 0) + 1);
          this.indexClass(d.deviceClass, entry.index);
        }
      } else {
        u.deviceOwner.set(d.id, want);
      }
    }
  }

  /** Frees what a VM holds; returns false when the VM holds nothing. */
  release(vmOrId: VmRequest | string): boolean {
    const id = typeof vmOrId === 'string' ? vmOrId : vmOrId.id;
    const a = this.assignments.get(id);
    const vm = this.requests.get(id);
    if (!a || !vm) return false;
    const entry = this.byHostId.get(a.hostId)!;
    const u = entry.usage;
    u.cpusUsed.set(a.numaNode, (u.cpusUsed.get(a.numaNode) ?? 0) - vm.vcpus);
    u.memoryUsedMiB.set(a.numaNode, (u.memoryUsedMiB.get(a.numaNode) ?? 0) - vm.memoryMiB);
    for (const id of a.deviceIds) {
      u.deviceOwner.delete(id);
      const d = entry.byId.get(id)!;
      if (d.healthy) {
        entry.freeByClass.set(d.deviceClass, (entry.freeByClass.get(d.deviceClass) ?? 0) + 1);
        this.indexClass(d.deviceClass, entry.index);
      }
    }
    if (vm.antiAffinityGroup)
      u.antiAffinity.set(vm.antiAffinityGroup, (u.antiAffinity.get(vm.antiAffinityGroup) ?? 1) - 1);
    u.vmCount--;
    this.assignments.delete(vm.id);
    this.requests.delete(vm.id);
    return true;
  }
}

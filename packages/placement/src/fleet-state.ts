// SPDX-License-Identifier: Apache-2.0
// Mutable fleet state: static host descriptions plus what is in use, with the indexes that keep
// a placement decision's cost independent of the fleet's size (candidates per device class).

import type { HostUsage, PlacementDevice, PlacementHost, VmRequest } from './model';
import { BlockScan, CapacityTable } from './scan-index';

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

/** What hosts sharing one device list (copies of a template) share: built once per list. */
interface DeviceLayout {
  groups: Map<number, PlacementDevice[]>;
  vfsOf: Map<string, PlacementDevice[]>;
  byId: Map<string, PlacementDevice>;
  healthyByClass: [string, number][];
}

function layoutOf(devices: readonly PlacementDevice[]): DeviceLayout {
  const l: DeviceLayout = { groups: new Map(), vfsOf: new Map(), byId: new Map(), healthyByClass: [] };
  const healthy = new Map<string, number>();
  for (const d of devices) {
    l.byId.set(d.id, d);
    const g = l.groups.get(d.iommuGroup) ?? [];
    g.push(d);
    l.groups.set(d.iommuGroup, g);
    if (d.physfn) l.vfsOf.set(d.physfn, [...(l.vfsOf.get(d.physfn) ?? []), d]);
    if (d.healthy) healthy.set(d.deviceClass, (healthy.get(d.deviceClass) ?? 0) + 1);
  }
  l.healthyByClass = [...healthy];
  return l;
}

function newUsage(): HostUsage {
  return { cpusUsed: new Map(), memoryUsedMiB: new Map(), deviceOwner: new Map(), antiAffinity: new Map(), vmCount: 0 };
}

export class FleetState {
  readonly hosts: HostEntry[] = [];
  private readonly byHostId = new Map<string, HostEntry>();
  /** class -> host indexes that may have a free device of it (lazily compacted). */
  readonly classIndex = new Map<string, number[]>();
  /** class -> per host index, its position in classIndex's list, or -1. */
  private readonly classPos = new Map<string, Int32Array>();
  /** class -> per host index, its free healthy devices of the class (freeByClass as an array). */
  private readonly classFree = new Map<string, Int32Array>();
  /** class -> block summaries over classIndex's list. */
  readonly classScan = new Map<string, BlockScan>();
  /** vCPUs and memory per host and node as typed arrays (kept equal to each host's usage maps). */
  readonly table = new CapacityTable();
  /** Block summaries over the hosts in index order (the scan of VMs without devices). */
  readonly hostScan = new BlockScan(
    this.table,
    (p) => p,
    () => this.hosts.length,
    () => false,
  );
  /** Layouts of the device lists seen (hosts of one template share theirs). */
  private readonly layouts = new WeakMap<readonly PlacementDevice[], DeviceLayout>();
  readonly assignments = new Map<string, Assignment>();
  /** The request behind each assignment (its vCPUs and memory are released with it). */
  private readonly requests = new Map<string, { vm: VmRequest; entry: HostEntry }>();

  constructor(hosts: readonly PlacementHost[] = []) {
    for (const h of hosts) this.addHost(h);
  }

  addHost(host: PlacementHost): HostEntry {
    if (this.byHostId.has(host.id)) throw new RangeError(`duplicate host id ${host.id}`);
    let layout = this.layouts.get(host.devices);
    if (!layout) {
      layout = layoutOf(host.devices);
      this.layouts.set(host.devices, layout);
    }
    const entry: HostEntry = {
      index: this.hosts.length,
      host,
      usage: newUsage(),
      groups: layout.groups,
      vfsOf: layout.vfsOf,
      byId: layout.byId,
      freeByClass: new Map(layout.healthyByClass),
      down: false,
    };
    this.hosts.push(entry);
    this.byHostId.set(host.id, entry);
    this.table.addHost(host);
    this.hostScan.touch(entry.index);
    for (const [cls, n] of entry.freeByClass) {
      this.indexClass(cls, entry.index);
      this.classFree.get(cls)![entry.index] = n;
    }
    return entry;
  }

  host(id: string): HostEntry | undefined {
    return this.byHostId.get(id);
  }

  private indexClass(cls: string, hostIndex: number): void {
    let list = this.classIndex.get(cls);
    let pos = this.classPos.get(cls);
    if (!list || !pos) {
      const l: number[] = [];
      list = l;
      pos = new Int32Array(Math.max(16, this.hosts.length)).fill(-1);
      this.classIndex.set(cls, l);
      this.classScan.set(
        cls,
        new BlockScan(
          this.table,
          (p) => l[p]!,
          () => l.length,
          (h) => this.table.modeOff[h] === 1 || this.classFree.get(cls)![h]! <= 0,
        ),
      );
    }
    if (hostIndex >= pos.length) {
      const p = new Int32Array(Math.max(hostIndex + 1, pos.length * 2)).fill(-1);
      p.set(pos);
      pos = p;
    }
    this.classPos.set(cls, pos);
    const free = this.classFree.get(cls);
    if (!free || free.length < pos.length) {
      const f = new Int32Array(pos.length);
      if (free) f.set(free);
      this.classFree.set(cls, f);
    }
    if (pos[hostIndex]! >= 0) return;
    pos[hostIndex] = list.length;
    list.push(hostIndex);
    this.classScan.get(cls)!.touch(list.length - 1);
  }

  /** Drops a host from a class list once it has no free device of that class (swap-remove at pos). */
  dropFromClass(cls: string, pos: number): void {
    const list = this.classIndex.get(cls)!;
    const where = this.classPos.get(cls)!;
    const scan = this.classScan.get(cls)!;
    const hostIndex = list[pos]!;
    const last = list.length - 1;
    list[pos] = list[last]!;
    where[list[pos]!] = pos;
    list.pop();
    where[hostIndex] = -1;
    scan.touch(pos);
    scan.touch(last);
  }

  /** Free healthy devices of `cls` per host index (what each host's freeByClass says), if any host has one. */
  freeOf(cls: string): Int32Array | undefined {
    return this.classFree.get(cls);
  }

  /** Sets a host's free count of a class, in its map and in the class's array. */
  private setFree(entry: HostEntry, cls: string, n: number): void {
    entry.freeByClass.set(cls, n);
    this.classFree.get(cls)![entry.index] = n;
  }

  /** The block summaries holding a host no longer hold (its usage, devices or state changed). */
  private touch(entry: HostEntry): void {
    this.table.version[entry.index]!++;
    this.hostScan.touch(entry.index);
    for (const cls of entry.freeByClass.keys()) {
      const p = this.classPos.get(cls)?.[entry.index] ?? -1;
      if (p >= 0) this.classScan.get(cls)!.touch(p);
    }
  }

  /** Marks a host down (no placement considers it) or up again; false for an unknown host. */
  setDown(hostId: string, down: boolean): boolean {
    const entry = this.byHostId.get(hostId);
    if (!entry) return false;
    entry.down = down;
    this.table.down[entry.index] = down ? 1 : 0;
    this.touch(entry);
    return true;
  }

  /** Records a placement. The caller has checked it (placeVm does). */
  commit(vm: VmRequest, a: Assignment): void {
    const entry = this.byHostId.get(a.hostId)!;
    const u = entry.usage;
    u.cpusUsed.set(a.numaNode, (u.cpusUsed.get(a.numaNode) ?? 0) + vm.vcpus);
    u.memoryUsedMiB.set(a.numaNode, (u.memoryUsedMiB.get(a.numaNode) ?? 0) + vm.memoryMiB);
    this.table.add(entry.index, a.numaNode, vm.vcpus, vm.memoryMiB);
    this.touch(entry);
    for (const id of a.deviceIds) {
      if (u.deviceOwner.has(id))
        throw new RangeError(`device ${id} on ${a.hostId} already held by ${u.deviceOwner.get(id)}`);
      u.deviceOwner.set(id, vm.id);
      const d = entry.byId.get(id)!;
      if (d.healthy) this.setFree(entry, d.deviceClass, (entry.freeByClass.get(d.deviceClass) ?? 1) - 1);
    }
    if (vm.antiAffinityGroup)
      u.antiAffinity.set(vm.antiAffinityGroup, (u.antiAffinity.get(vm.antiAffinityGroup) ?? 0) + 1);
    u.vmCount++;
    this.assignments.set(vm.id, a);
    this.requests.set(vm.id, { vm, entry });
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
        this.setFree(entry, d.deviceClass, (entry.freeByClass.get(d.deviceClass) ?? 1) - 1);
      if (want === undefined) {
        u.deviceOwner.delete(d.id);
        if (d.healthy) {
          this.setFree(entry, d.deviceClass, (entry.freeByClass.get(d.deviceClass) ?? 0) + 1);
          this.indexClass(d.deviceClass, entry.index);
        }
      } else {
        u.deviceOwner.set(d.id, want);
      }
    }
    this.touch(entry);
  }

  /** Frees what a VM holds; returns false when the VM holds nothing. */
  release(vmOrId: VmRequest | string): boolean {
    const id = typeof vmOrId === 'string' ? vmOrId : vmOrId.id;
    const a = this.assignments.get(id);
    const held = this.requests.get(id);
    if (!a || !held) return false;
    const { vm, entry } = held;
    const u = entry.usage;
    u.cpusUsed.set(a.numaNode, (u.cpusUsed.get(a.numaNode) ?? 0) - vm.vcpus);
    u.memoryUsedMiB.set(a.numaNode, (u.memoryUsedMiB.get(a.numaNode) ?? 0) - vm.memoryMiB);
    this.table.add(entry.index, a.numaNode, -vm.vcpus, -vm.memoryMiB);
    this.touch(entry);
    for (const id of a.deviceIds) {
      u.deviceOwner.delete(id);
      const d = entry.byId.get(id)!;
      if (d.healthy) {
        this.setFree(entry, d.deviceClass, (entry.freeByClass.get(d.deviceClass) ?? 0) + 1);
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

// SPDX-License-Identifier: Apache-2.0
// The placement policy: filters (capacity, IOMMU on and in an accepted mode, anti-affinity,
// devices by whole IOMMU group, NUMA policy, co-location) then weighers (pack or spread, NUMA
// locality, group fragmentation). Pure and synchronous; every decision explains itself and has a
// bounded cost: at most maxCandidates hosts examined, at most maxSearchSteps per host.

import { type DeviceChoice, type DeviceReason, findDevices } from './device-search';
import type { Assignment, FleetState, HostEntry } from './fleet-state';
import { DEFAULT_POLICY, type PlacementDevice, type PolicyOptions, type VmRequest } from './model';

export type RejectReason = DeviceReason | 'iommu-off' | 'iommu-mode' | 'anti-affinity' | 'cpu' | 'memory' | 'host-down';

export interface Decision {
  vmId: string;
  placed: boolean;
  assignment?: Assignment;
  /** Why each examined host was rejected, counted by reason. */
  rejections: Partial<Record<RejectReason, number>>;
  /** The most common rejection when the VM was not placed. */
  reason?: RejectReason | 'candidate-limit';
  examined: number;
  feasible: number;
  score?: number;
}

interface Verdict {
  ok: boolean;
  reason?: RejectReason;
  node?: number;
  choice?: DeviceChoice;
  score?: number;
}

function nodeFits(
  entry: HostEntry,
  node: { id: number; cpus: number; memoryMiB: number },
  vm: VmRequest,
): RejectReason | undefined {
  if ((entry.usage.cpusUsed.get(node.id) ?? 0) + vm.vcpus > node.cpus) return 'cpu';
  if ((entry.usage.memoryUsedMiB.get(node.id) ?? 0) + vm.memoryMiB > node.memoryMiB) return 'memory';
  return undefined;
}

function socketOf(entry: HostEntry, numaNode: number): number {
  return entry.host.numaNodes.find((n) => n.id === numaNode)?.socket ?? -1;
}

/** Device filters the NUMA policy allows for a VM whose CPUs and memory sit on `node`, in order of preference. */
function numaFilters(entry: HostEntry, vm: VmRequest, node: number): ((d: PlacementDevice) => boolean)[] {
  const local = (d: PlacementDevice) => d.numaNode === node;
  const any = () => true;
  switch (vm.numaPolicy) {
    case 'required':
      return [local];
    case 'socket': {
      const s = socketOf(entry, node);
      return [(d) => socketOf(entry, d.numaNode) === s];
    }
    case 'preferred':
      return [local, any];
    default:
      return [any];
  }
}

function score(entry: HostEntry, vm: VmRequest, choice: DeviceChoice, opts: PolicyOptions): number {
  let cpus = 0;
  let used = vm.vcpus;
  for (const n of entry.host.numaNodes) {
    cpus += n.cpus;
    used += entry.usage.cpusUsed.get(n.id) ?? 0;
  }
  const fill = cpus > 0 ? used / cpus : 0;
  const requested = vm.devices.reduce((s, r) => s + r.count, 0);
  const locality = requested > 0 ? choice.localDevices / requested : 1;
  const taken = choice.deviceIds.length;
  const fragmentation = taken > 0 ? choice.extraDevices / taken : 0;
  const w = opts.weights;
  return (
    (opts.strategy === 'pack' ? fill : 1 - fill) * w.fill +
    locality * w.numaLocality -
    fragmentation * w.groupFragmentation
  );
}

export function evaluateHost(entry: HostEntry, vm: VmRequest, opts: PolicyOptions = DEFAULT_POLICY): Verdict {
  if (entry.down) return { ok: false, reason: 'host-down' };
  const mode = entry.host.iommuMode;
  if (vm.devices.length > 0 && mode === 'off') return { ok: false, reason: 'iommu-off' };
  if (vm.acceptableModes && !vm.acceptableModes.includes(mode)) return { ok: false, reason: 'iommu-mode' };
  if (vm.antiAffinityGroup && (entry.usage.antiAffinity.get(vm.antiAffinityGroup) ?? 0) > 0) {
    return { ok: false, reason: 'anti-affinity' };
  }
  let capacityReason: RejectReason | undefined;
  let deviceReason: DeviceReason | undefined;
  let best: Verdict | undefined;
  for (const node of entry.host.numaNodes) {
    const misfit = nodeFits(entry, node, vm);
    if (misfit) {
      capacityReason ??= misfit;
      continue;
    }
    for (const allowed of numaFilters(entry, vm, node.id)) {
      const choice = findDevices(entry, vm, allowed, node.id, opts.maxSearchSteps);
      if (typeof choice === 'string') {
        if (!deviceReason || choice !== 'no-matching-device') deviceReason = choice;
        continue;
      }
      const s = score(entry, vm, choice, opts);
      if (!best || s > best.score!) best = { ok: true, node: node.id, choice, score: s };
      break;
    }
  }
  if (best) return best;
  return { ok: false, reason: deviceReason ?? capacityReason ?? 'cpu' };
}

/** Host indexes to examine, in order: hosts that may hold the scarcest requested device class. */
function* candidates(state: FleetState, vm: VmRequest, start: number): Generator<HostEntry> {
  const classes = vm.devices.map((r) => r.deviceClass);
  if (classes.length === 0) {
    const n = state.hosts.length;
    for (let i = 0; i < n; i++) yield state.hosts[(start + i) % n]!;
    return;
  }
  let cls = classes[0]!;
  for (const c of classes)
    if ((state.classIndex.get(c)?.length ?? 0) < (state.classIndex.get(cls)?.length ?? 0)) cls = c;
  const list = state.classIndex.get(cls) ?? [];
  const n = list.length;
  for (let i = 0, pos = n > 0 ? start % n : 0; i < n && list.length > 0; i++) {
    if (pos >= list.length) pos = 0;
    const entry = state.hosts[list[pos]!]!;
    if ((entry.freeByClass.get(cls) ?? 0) <= 0) {
      state.dropFromClass(cls, pos); // compaction: the swapped-in host is examined next at this pos
      continue;
    }
    yield entry;
    pos++;
  }
}

export class PlacementPolicy {
  private cursor = 0;
  constructor(
    readonly state: FleetState,
    readonly opts: PolicyOptions = DEFAULT_POLICY,
  ) {}

  /** Decides where `vm` goes (without committing it). */
  decide(vm: VmRequest): Decision {
    const rejections: Partial<Record<RejectReason, number>> = {};
    let examined = 0;
    let feasible = 0;
    let best: { entry: HostEntry; v: Verdict } | undefined;
    const start = this.opts.strategy === 'spread' ? this.cursor++ : 0;
    for (const entry of candidates(this.state, vm, start)) {
      if (examined >= this.opts.maxCandidates) break;
      examined++;
      const v = evaluateHost(entry, vm, this.opts);
      if (!v.ok) {
        rejections[v.reason!] = (rejections[v.reason!] ?? 0) + 1;
        continue;
      }
      feasible++;
      if (!best || v.score! > best.v.score!) best = { entry, v };
      if (feasible >= this.opts.maxFeasible) break;
    }
    const unindexed = this.state.hosts.length - examined;
    if (!best) {
      if (vm.devices.length > 0 && unindexed > 0 && examined < this.opts.maxCandidates) {
        rejections['no-matching-device'] = (rejections['no-matching-device'] ?? 0) + unindexed;
      }
      const reason =
        examined >= this.opts.maxCandidates
          ? 'candidate-limit'
          : (Object.entries(rejections).sort((a, b) => b[1] - a[1])[0]?.[0] as RejectReason | undefined);
      return { vmId: vm.id, placed: false, rejections, reason: reason ?? 'cpu', examined, feasible };
    }
    const { entry, v } = best;
    const assignment: Assignment = {
      vmId: vm.id,
      hostId: entry.host.id,
      numaNode: v.node!,
      deviceIds: v.choice!.deviceIds,
      byAlias: v.choice!.byAlias,
    };
    return { vmId: vm.id, placed: true, assignment, rejections, examined, feasible, score: v.score };
  }

  /** Decides and commits. */
  place(vm: VmRequest): Decision {
    if (this.state.assignments.has(vm.id)) throw new RangeError(`VM ${vm.id} is already placed`);
    const d = this.decide(vm);
    if (d.placed) this.state.commit(vm, d.assignment!);
    return d;
  }

  release(vmOrId: VmRequest | string): boolean {
    return this.state.release(vmOrId);
  }
}

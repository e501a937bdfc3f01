// SPDX-License-Identifier: Apache-2.0
// The placement policy: filters (capacity, IOMMU on and in an accepted mode, anti-affinity,
// devices by whole IOMMU group, NUMA policy, co-location) then weighers (pack or spread, NUMA
// locality, group fragmentation). Pure and synchronous; every decision explains itself and has a
// bounded cost: at most maxCandidates hosts examined, at most maxSearchSteps per host.

import { type DeviceChoice, type DeviceReason, findDevices } from './device-search';
import type { Assignment, FleetState, HostEntry } from './fleet-state';
import { DEFAULT_POLICY, type PlacementDevice, type PolicyOptions, type VmRequest } from './model';
import { BLOCK } from './scan-index';

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

/** A decision's scan so far: what examining hosts one by one (or a block at once) has found. */
interface Scan {
  /** The VM's request signature (PlacementPolicy.signature). */
  sig: number;
  rejections: Partial<Record<RejectReason, number>>;
  examined: number;
  feasible: number;
  best: { entry: HostEntry; v: Verdict } | undefined;
}

/**
 * evaluateHost's rejection when it is certain without a device search (host down, IOMMU off or
 * in a mode not accepted, anti-affinity, no node with room), read from the typed table; else
 * undefined (evaluateHost decides). Same checks in the same order, so the same reason.
 */
function quickReject(state: FleetState, entry: HostEntry, vm: VmRequest): RejectReason | undefined {
  if (entry.down) return 'host-down';
  const mode = entry.host.iommuMode;
  if (vm.devices.length > 0 && mode === 'off') return 'iommu-off';
  if (vm.acceptableModes && !vm.acceptableModes.includes(mode)) return 'iommu-mode';
  if (vm.antiAffinityGroup && (entry.usage.antiAffinity.get(vm.antiAffinityGroup) ?? 0) > 0) return 'anti-affinity';
  return state.table.misfit(entry.index, vm.vcpus, vm.memoryMiB);
}

export class PlacementPolicy {
  private cursor = 0;
  /** Request signatures (all of a VM's request but its id) -> small ids; bounded. */
  private readonly sigs = new Map<string, number>();
  /** Per host index: the last verdict evaluateHost gave, for which request and host version. */
  private memoSig = new Int32Array(0);
  private memoVersion = new Float64Array(0);
  private memoVerdict: (Verdict | undefined)[] = [];
  constructor(
    readonly state: FleetState,
    readonly opts: PolicyOptions = DEFAULT_POLICY,
  ) {}

  /**
   * What evaluateHost gives, remembered per host: a verdict depends only on the host (its
   * description, usage, devices held, down flag — every change of which bumps its version), the
   * request without its id, and the options (this policy's). Pack examines the same first hosts
   * decision after decision, most of them unchanged since the last.
   */
  private evaluate(entry: HostEntry, vm: VmRequest, sig: number): Verdict {
    const h = entry.index;
    if (h >= this.memoSig.length) {
      const n = Math.max(h + 1, this.memoSig.length * 2, 64);
      const sigs = new Int32Array(n);
      sigs.set(this.memoSig);
      this.memoSig = sigs;
      const versions = new Float64Array(n);
      versions.set(this.memoVersion);
      this.memoVersion = versions;
    }
    const version = this.state.table.version[h]!;
    const cached = this.memoVerdict[h];
    if (cached && this.memoSig[h] === sig && this.memoVersion[h] === version) return cached;
    const v = evaluateHost(entry, vm, this.opts);
    this.memoSig[h] = sig;
    this.memoVersion[h] = version;
    this.memoVerdict[h] = v;
    return v;
  }

  /** A small id for everything of a request a verdict depends on (all but the VM's id). */
  private signature(vm: VmRequest): number {
    const key = JSON.stringify([
      vm.vcpus,
      vm.memoryMiB,
      vm.devices,
      vm.numaPolicy,
      vm.colocate,
      vm.antiAffinityGroup,
      vm.acceptableModes,
    ]);
    let id = this.sigs.get(key);
    if (id === undefined) {
      if (this.sigs.size >= 4096) {
        // Ids are about to be reused: forget every remembered verdict with the old ids.
        this.sigs.clear();
        this.memoVerdict = [];
      }
      id = this.sigs.size + 1;
      this.sigs.set(key, id);
    }
    return id;
  }

  /** Examines one host; true when the scan has found enough feasible hosts. */
  private visit(scan: Scan, entry: HostEntry, vm: VmRequest): boolean {
    scan.examined++;
    const quick = quickReject(this.state, entry, vm);
    const v = quick ? undefined : this.evaluate(entry, vm, scan.sig);
    if (!v?.ok) {
      const reason = quick ?? v!.reason!;
      scan.rejections[reason] = (scan.rejections[reason] ?? 0) + 1;
      return false;
    }
    scan.feasible++;
    if (!scan.best || v.score! > scan.best.v.score!) scan.best = { entry, v };
    return scan.feasible >= this.opts.maxFeasible;
  }

  /**
   * Whether whole blocks of hosts may be rejected from their summaries: exact only when the
   * reason of a host that has no room is its first node's (no anti-affinity group, no accepted-
   * mode list) and every amount is an integer (BlockScan.skip).
   */
  private blockable(vm: VmRequest): boolean {
    return (
      vm.antiAffinityGroup === undefined &&
      vm.acceptableModes === undefined &&
      this.state.table.integral &&
      Number.isSafeInteger(vm.vcpus) &&
      Number.isSafeInteger(vm.memoryMiB)
    );
  }

  /** VMs without devices: every host in index order from `start` (wrapping), up to the limits. */
  private scanHosts(scan: Scan, vm: VmRequest, start: number): void {
    const hosts = this.state.hosts;
    const n = hosts.length;
    const max = this.opts.maxCandidates;
    const blocks = this.blockable(vm);
    for (let i = 0; i < n; ) {
      if (scan.examined >= max) return;
      const pos = (start + i) % n;
      if (blocks && pos % BLOCK === 0) {
        const len = Math.min(BLOCK, n - pos);
        if (i + len <= n && scan.examined + len <= max) {
          const k = this.state.hostScan.skip(pos, vm.vcpus, vm.memoryMiB, scan.rejections);
          scan.examined += k;
          i += k;
          if (k > 0) continue;
        }
      }
      i++;
      if (this.visit(scan, hosts[pos]!, vm)) return;
    }
  }

  /**
   * VMs with devices: the hosts that may hold the scarcest requested class, in its list's order
   * from `start` (wrapping); a host found without a free device of it is dropped from the list
   * when reached (the swapped-in host is examined next at that position).
   */
  private scanClass(scan: Scan, vm: VmRequest, start: number): void {
    const state = this.state;
    let cls = vm.devices[0]!.deviceClass;
    for (const r of vm.devices)
      if ((state.classIndex.get(r.deviceClass)?.length ?? 0) < (state.classIndex.get(cls)?.length ?? 0))
        cls = r.deviceClass;
    const list = state.classIndex.get(cls) ?? [];
    const blockScan = state.classScan.get(cls);
    const free = state.freeOf(cls);
    const max = this.opts.maxCandidates;
    const blocks = blockScan !== undefined && this.blockable(vm);
    const n = list.length;
    for (let i = 0, pos = n > 0 ? start % n : 0; i < n && list.length > 0; ) {
      if (pos >= list.length) pos = 0;
      const hostIndex = list[pos]!;
      if (free![hostIndex]! <= 0) {
        state.dropFromClass(cls, pos);
        i++;
        continue;
      }
      if (scan.examined >= max) return;
      if (blocks && pos % BLOCK === 0) {
        const len = Math.min(BLOCK, list.length - pos);
        if (i + len <= n && scan.examined + len <= max) {
          const k = blockScan.skip(pos, vm.vcpus, vm.memoryMiB, scan.rejections);
          scan.examined += k;
          i += k;
          pos += k;
          if (k > 0) continue;
        }
      }
      i++;
      pos++;
      if (this.visit(scan, state.hosts[hostIndex]!, vm)) return;
    }
  }

  /** Decides where `vm` goes (without committing it). */
  decide(vm: VmRequest): Decision {
    const scan: Scan = { sig: this.signature(vm), rejections: {}, examined: 0, feasible: 0, best: undefined };
    const start = this.opts.strategy === 'spread' ? this.cursor++ : 0;
    if (vm.devices.length === 0) this.scanHosts(scan, vm, start);
    else this.scanClass(scan, vm, start);
    const { rejections, examined, feasible, best } = scan;
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
      // Copies: the verdict may be remembered and given again (evaluate).
      deviceIds: [...v.choice!.deviceIds],
      byAlias: Object.fromEntries(Object.entries(v.choice!.byAlias).map(([k, ids]) => [k, [...ids]])),
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

// SPDX-License-Identifier: Apache-2.0
// Finds devices for a VM on one host: whole IOMMU groups only (VFIO's viability rule: a VM takes
// every function of a group, e.g. a GPU with its audio function), SR-IOV physical-or-virtual
// function exclusivity, NUMA policy and PCIe-root co-location. Bounded backtracking.

import type { HostEntry } from './fleet-state';
import type { DeviceRequest, PlacementDevice, VmRequest } from './model';

export type DeviceReason =
  | 'no-matching-device'
  | 'group-not-viable'
  | 'pf-vf-exclusive'
  | 'numa'
  | 'colocation'
  | 'search-limit';

export interface DeviceChoice {
  deviceIds: string[];
  byAlias: Record<string, string[]>;
  /** Devices taken that were not asked for (group companions and surplus). */
  extraDevices: number;
  /** Requested devices on the VM's NUMA node. */
  localDevices: number;
}

function matches(d: PlacementDevice, r: DeviceRequest): boolean {
  if (d.deviceClass !== r.deviceClass) return false;
  if (r.vendor && d.vendor !== r.vendor) return false;
  if (r.product && d.product !== r.product) return false;
  if (d.physfn && !r.allowVf) return false;
  return d.healthy;
}

interface Candidate {
  group: number;
  members: PlacementDevice[];
  matching: PlacementDevice[];
  root: string;
}

/** Why a group cannot be given to a VM, or undefined when it can (given devices taken so far). */
function groupBlocker(entry: HostEntry, members: PlacementDevice[], taken: Set<string>): DeviceReason | undefined {
  const owner = entry.usage.deviceOwner;
  for (const m of members) {
    if (m.hostBound || owner.has(m.id) || taken.has(m.id)) return 'group-not-viable';
    if (m.physfn && (owner.has(m.physfn) || taken.has(m.physfn))) return 'pf-vf-exclusive';
    for (const vf of entry.vfsOf.get(m.id) ?? []) if (owner.has(vf.id) || taken.has(vf.id)) return 'pf-vf-exclusive';
  }
  return undefined;
}

interface SearchCtx {
  entry: HostEntry;
  vm: VmRequest;
  allowed: (d: PlacementDevice) => boolean;
  colocateOf: Map<string, number>;
  steps: number;
  maxSteps: number;
  taken: Set<string>;
  rootOfSet: (string | undefined)[];
  byAlias: Record<string, string[]>;
  extra: number;
  /** Most specific reason seen for a failure (ranked by REASON_RANK). */
  reason: DeviceReason;
}

const REASON_RANK: Record<DeviceReason, number> = {
  'no-matching-device': 0,
  numa: 1,
  'group-not-viable': 2,
  'pf-vf-exclusive': 3,
  colocation: 4,
  'search-limit': 5,
};

function note(ctx: SearchCtx, r: DeviceReason): void {
  if (REASON_RANK[r] > REASON_RANK[ctx.reason]) ctx.reason = r;
}

/** A group with devices matching a request, before NUMA policy and state are looked at. */
interface StaticCandidate {
  group: number;
  members: PlacementDevice[];
  matching: PlacementDevice[];
}

/**
 * Per group map (hosts of one template share theirs) and request match key: the groups with a
 * matching device, in the map's order. Matching reads only a device's description (class,
 * vendor, product, VF, health), which does not change, so it is computed once per template.
 */
const staticCandidates = new WeakMap<Map<number, PlacementDevice[]>, Map<string, StaticCandidate[]>>();

function matchingGroups(groups: Map<number, PlacementDevice[]>, r: DeviceRequest): StaticCandidate[] {
  let byKey = staticCandidates.get(groups);
  if (!byKey) {
    byKey = new Map();
    staticCandidates.set(groups, byKey);
  }
  const key = `${r.deviceClass}\u0000${r.vendor ?? ''}\u0000${r.product ?? ''}\u0000${r.allowVf ? 1 : 0}`;
  let list = byKey.get(key);
  if (!list) {
    list = [];
    for (const [group, members] of groups) {
      const matching = members.filter((d) => matches(d, r));
      if (matching.length > 0) list.push({ group, members, matching });
    }
    byKey.set(key, list);
  }
  return list;
}

function candidatesFor(ctx: SearchCtx, r: DeviceRequest): Candidate[] {
  const out: Candidate[] = [];
  for (const { group, members, matching } of matchingGroups(ctx.entry.groups, r)) {
    const allowedMatching = matching.every(ctx.allowed) ? matching : matching.filter(ctx.allowed);
    if (allowedMatching.length === 0) {
      note(ctx, 'numa');
      continue;
    }
    const blocker = groupBlocker(ctx.entry, members, ctx.taken);
    if (blocker) {
      note(ctx, blocker);
      continue;
    }
    out.push({ group, members, matching: allowedMatching, root: allowedMatching[0]!.pcieRoot });
  }
  // Fewest companions first: keeps groups intact for VMs that need them (group fragmentation).
  out.sort(
    (a, b) => a.members.length - a.matching.length - (b.members.length - b.matching.length) || a.group - b.group,
  );
  return out;
}

function search(ctx: SearchCtx, reqIndex: number, need: number): boolean {
  const reqs = ctx.vm.devices;
  if (reqIndex === reqs.length) return true;
  const r = reqs[reqIndex]!;
  if (need <= 0) return search(ctx, reqIndex + 1, reqs[reqIndex + 1]?.count ?? 0);
  if (++ctx.steps > ctx.maxSteps) {
    note(ctx, 'search-limit');
    return false;
  }
  const set = ctx.colocateOf.get(r.alias);
  for (const c of candidatesFor(ctx, r)) {
    if (set !== undefined) {
      const root = ctx.rootOfSet[set];
      if (root !== undefined && root !== c.root) {
        note(ctx, 'colocation');
        continue;
      }
      if (c.matching.some((d) => d.pcieRoot !== c.root)) continue;
    }
    const prevRoot = set !== undefined ? ctx.rootOfSet[set] : undefined;
    if (set !== undefined) ctx.rootOfSet[set] = c.root;
    for (const m of c.members) ctx.taken.add(m.id);
    const used = Math.min(need, c.matching.length);
    ctx.byAlias[r.alias] ??= [];
    const list = ctx.byAlias[r.alias]!;
    list.push(...c.matching.slice(0, used).map((d) => d.id));
    ctx.extra += c.members.length - used;
    if (search(ctx, reqIndex, need - used)) return true;
    ctx.extra -= c.members.length - used;
    list.length -= used;
    for (const m of c.members) ctx.taken.delete(m.id);
    if (set !== undefined) ctx.rootOfSet[set] = prevRoot;
    if (ctx.steps > ctx.maxSteps) return false;
  }
  return false;
}

/**
 * Chooses devices for `vm` on `entry` among devices accepted by `allowed` (the NUMA policy).
 * Returns the choice, or the reason none exists.
 */
export function findDevices(
  entry: HostEntry,
  vm: VmRequest,
  allowed: (d: PlacementDevice) => boolean,
  localNode: number,
  maxSteps: number,
): DeviceChoice | DeviceReason {
  const colocateOf = new Map<string, number>();
  (vm.colocate ?? []).forEach((aliases, i) => {
    for (const a of aliases) colocateOf.set(a, i);
  });
  const ctx: SearchCtx = {
    entry,
    vm,
    allowed,
    colocateOf,
    steps: 0,
    maxSteps,
    taken: new Set(),
    rootOfSet: [],
    byAlias: {},
    extra: 0,
    reason: 'no-matching-device',
  };
  if (!search(ctx, 0, vm.devices[0]?.count ?? 0)) return ctx.reason;
  let local = 0;
  for (const ids of Object.values(ctx.byAlias))
    for (const id of ids) if (entry.byId.get(id)!.numaNode === localNode) local++;
  return { deviceIds: [...ctx.taken], byAlias: ctx.byAlias, extraDevices: ctx.extra, localDevices: local };
}

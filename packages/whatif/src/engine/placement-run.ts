// SPDX-License-Identifier: Apache-2.0
// Placement over the scenario's timeline: arrivals are placed by the IOMMU-group-aware policy (the
// same code the scheduler runs), departures free what their VM held. Reports VMs placed and
// rejected (by reason), and devices stranded by IOMMU groups, sampled through the run: devices a
// VM holds only because they share a group with what it asked for (a VM takes whole groups: one
// GPU asked, four held), plus free devices no VM can use because another function of their group
// is held.

import {
  DEFAULT_POLICY,
  FleetState,
  type PlacementDevice,
  type PlacementHost,
  PlacementPolicy,
  type PolicyOptions,
} from '@iofleet/placement';
import type { VmArrival } from './arrivals';

export interface PlacementOutcome {
  placed: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  /** Mean over samples of devices stranded by their IOMMU group (held but not asked for, or unusable). */
  devicesStranded: number;
  /** Peak of VMs running at once. */
  peakRunning: number;
  /** Host and devices of every placed VM (for the I/O figures and for comparisons). */
  assignments: Map<string, { hostId: string; deviceIds: string[] }>;
}

/** Stranded-device samples taken through a run. */
export const STRANDED_SAMPLES = 20;

function strandedNow(state: FleetState, hosts: readonly PlacementHost[]): number {
  let n = 0;
  for (const h of hosts) {
    const owner = state.host(h.id)!.usage.deviceOwner;
    if (owner.size === 0) continue;
    const busyGroups = new Set<number>();
    for (const d of h.devices) if (owner.has(d.id)) busyGroups.add(d.iommuGroup);
    for (const d of h.devices) if (!owner.has(d.id) && busyGroups.has(d.iommuGroup)) n++;
  }
  return n;
}

export function runPlacement(
  hosts: readonly PlacementHost[],
  arrivals: readonly VmArrival[],
  opts: PolicyOptions = DEFAULT_POLICY,
  onProgress?: (done: number) => void,
): PlacementOutcome {
  const state = new FleetState(hosts);
  // Device id -> class, per host; hosts of one template share their device list (and this map).
  const byList = new WeakMap<readonly PlacementDevice[], Map<string, string>>();
  const classOf = new Map<string, Map<string, string>>();
  for (const h of hosts) {
    let m = byList.get(h.devices);
    if (!m) {
      m = new Map(h.devices.map((d) => [d.id, d.deviceClass]));
      byList.set(h.devices, m);
    }
    classOf.set(h.id, m);
  }
  /** Devices each running VM holds beyond its request, in the classes it asked for. */
  const heldExtra = new Map<string, number>();
  let extraNow = 0;
  const policy = new PlacementPolicy(state, opts);
  // Events in time order; a departure before an arrival at the same instant.
  const events: { t: number; kind: 0 | 1; i: number }[] = [];
  for (const [i, a] of arrivals.entries()) {
    events.push({ t: a.arriveS, kind: 1, i });
    if (Number.isFinite(a.departS)) events.push({ t: a.departS, kind: 0, i });
  }
  events.sort((x, y) => x.t - y.t || x.kind - y.kind || x.i - y.i);
  const out: PlacementOutcome = {
    placed: 0,
    rejected: 0,
    rejectedByReason: {},
    devicesStranded: 0,
    peakRunning: 0,
    assignments: new Map(),
  };
  const every = Math.max(1, Math.floor(events.length / STRANDED_SAMPLES));
  let samples = 0;
  let strandedSum = 0;
  let running = 0;
  for (const [k, e] of events.entries()) {
    const a = arrivals[e.i]!;
    if (e.kind === 0) {
      if (policy.release(a.vm.id)) {
        running--;
        extraNow -= heldExtra.get(a.vm.id) ?? 0;
        heldExtra.delete(a.vm.id);
      }
    } else {
      const d = policy.place(a.vm);
      if (d.placed) {
        out.placed++;
        running++;
        out.peakRunning = Math.max(out.peakRunning, running);
        const as = d.assignment!;
        out.assignments.set(a.vm.id, { hostId: as.hostId, deviceIds: as.deviceIds });
        const asked = new Map<string, number>();
        for (const r of a.vm.devices) asked.set(r.deviceClass, (asked.get(r.deviceClass) ?? 0) + r.count);
        const classes = classOf.get(as.hostId)!;
        let held = 0;
        for (const id of as.deviceIds) if (asked.has(classes.get(id) ?? '')) held++;
        const extra = held - [...asked.values()].reduce((x, y) => x + y, 0);
        if (extra > 0) {
          heldExtra.set(a.vm.id, extra);
          extraNow += extra;
        }
      } else {
        out.rejected++;
        const r = d.reason ?? 'unknown';
        out.rejectedByReason[r] = (out.rejectedByReason[r] ?? 0) + 1;
      }
    }
    if (k % every === every - 1) {
      strandedSum += strandedNow(state, hosts) + extraNow;
      samples++;
      onProgress?.(k + 1);
    }
  }
  out.devicesStranded = samples ? strandedSum / samples : 0;
  return out;
}

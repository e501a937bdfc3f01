// SPDX-License-Identifier: Apache-2.0
// Placement over the scenario's timeline: arrivals are placed by the IOMMU-group-aware policy (the
// same code the scheduler runs), departures free what their VM held. Reports VMs placed and
// rejected (by reason), and devices stranded: free devices no VM can use because another function
// of their IOMMU group is held (a VM takes whole groups), sampled through the run.

import {
  DEFAULT_POLICY,
  FleetState,
  type PlacementHost,
  PlacementPolicy,
  type PolicyOptions,
} from '@iofleet/placement';
import type { VmArrival } from './arrivals';

export interface PlacementOutcome {
  placed: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  /** Mean over samples of free devices stranded by their group. */
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
      if (policy.release(a.vm.id)) running--;
    } else {
      const d = policy.place(a.vm);
      if (d.placed) {
        out.placed++;
        running++;
        out.peakRunning = Math.max(out.peakRunning, running);
        out.assignments.set(a.vm.id, { hostId: d.assignment!.hostId, deviceIds: d.assignment!.deviceIds });
      } else {
        out.rejected++;
        const r = d.reason ?? 'unknown';
        out.rejectedByReason[r] = (out.rejectedByReason[r] ?? 0) + 1;
      }
    }
    if (k % every === every - 1) {
      strandedSum += strandedNow(state, hosts);
      samples++;
      onProgress?.(k + 1);
    }
  }
  out.devicesStranded = samples ? strandedSum / samples : 0;
  return out;
}

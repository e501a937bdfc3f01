// SPDX-License-Identifier: Apache-2.0
// Placement over the scenario's timeline: arrivals are placed by the IOMMU-group-aware policy (the
// same code the scheduler runs) — in this process (embedded) or through a scheduler (distributed,
// a Placer over gRPC) — and departures free what their VM held. Reports VMs placed and rejected
// (by reason), and devices stranded by IOMMU groups, sampled through the run: devices a VM holds
// only because they share a group with what it asked for (a VM takes whole groups: one GPU asked,
// four held), plus free devices no VM can use because another function of their group is held.

import {
  DEFAULT_POLICY,
  FleetState,
  type PlacementDevice,
  type PlacementHost,
  PlacementPolicy,
  type PolicyOptions,
  type VmRequest,
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

export type PlaceResult = { placed: true; hostId: string; deviceIds: string[] } | { placed: false; reason: string };

/** One step of a timeline for Placer.placeMany: place an arriving VM, or release a departing one. */
export type PlacementStep = { vm: VmRequest } | { release: string };

/** Who decides: the policy in this process, or a scheduler over gRPC. */
export interface Placer {
  place(vm: VmRequest): PlaceResult | Promise<PlaceResult>;
  release(vmId: string): void | Promise<void>;
  /**
   * Many steps at once, in order (a release of a VM that holds nothing is a no-op); answers each
   * placement's result, in order. A remote placer does a stretch of the timeline per round trip.
   * Calls overlap (PLACE_MANY_IN_FLIGHT): the placer applies them in the order they are made.
   */
  placeMany?(steps: readonly PlacementStep[]): Promise<PlaceResult[]>;
}

/** Timeline events per placeMany() call. */
export const PLACE_MANY_STEPS = 512;
/** placeMany() calls made before the first of them is answered (a remote placer pipelines them). */
export const PLACE_MANY_IN_FLIGHT = 4;

/** Stranded-device samples taken through a run. */
export const STRANDED_SAMPLES = 20;

/** The embedded placer: the scheduler's policy on a fleet view in this process. */
export function policyPlacer(hosts: readonly PlacementHost[], opts: PolicyOptions = DEFAULT_POLICY): Placer {
  const policy = new PlacementPolicy(new FleetState(hosts), opts);
  return {
    place: (vm) => {
      const d = policy.place(vm);
      return d.placed
        ? { placed: true, hostId: d.assignment!.hostId, deviceIds: d.assignment!.deviceIds }
        : { placed: false, reason: d.reason ?? 'unknown' };
    },
    release: (vmId) => void policy.release(vmId),
  };
}

/** Bookkeeping of a run: outcome counts and the stranded-device samples over who holds which device. */
class Tally {
  readonly out: PlacementOutcome = {
    placed: 0,
    rejected: 0,
    rejectedByReason: {},
    devicesStranded: 0,
    peakRunning: 0,
    assignments: new Map(),
  };
  /**
   * Devices held per host id (device id -> VM id), for hosts holding any: what the stranded-device
   * samples read. A map per busy host, not a second FleetState: the placer's state already does
   * the placing, this only has to know who holds what.
   */
  private readonly held = new Map<string, Map<string, string>>();
  private readonly classOf = new Map<string, Map<string, string>>();
  private readonly heldExtra = new Map<string, number>();
  private extraNow = 0;
  private running = 0;
  private samples = 0;
  private strandedSum = 0;

  /** Arrival and departure events in time order, and how often to sample stranded devices. */
  readonly events: { kind: 0 | 1; i: number }[];
  private readonly every: number;

  constructor(
    private readonly hosts: readonly PlacementHost[],
    arrivals: readonly VmArrival[],
    private readonly onProgress?: (done: number) => void,
  ) {
    this.events = timeline(arrivals);
    this.every = Math.max(1, Math.floor(this.events.length / STRANDED_SAMPLES));
    // Device id -> class, per host; hosts of one template share their device list (and this map).
    const byList = new WeakMap<readonly PlacementDevice[], Map<string, string>>();
    for (const h of hosts) {
      let m = byList.get(h.devices);
      if (!m) {
        m = new Map(h.devices.map((d) => [d.id, d.deviceClass]));
        byList.set(h.devices, m);
      }
      this.classOf.set(h.id, m);
    }
  }

  private placed(vm: VmRequest, r: { hostId: string; deviceIds: string[] }): void {
    const o = this.out;
    o.placed++;
    this.running++;
    o.peakRunning = Math.max(o.peakRunning, this.running);
    o.assignments.set(vm.id, r);
    let owner = this.held.get(r.hostId);
    for (const id of r.deviceIds) {
      const other = owner?.get(id);
      if (other !== undefined) throw new RangeError(`device ${id} on ${r.hostId} already held by ${other}`);
      if (!owner) {
        owner = new Map();
        this.held.set(r.hostId, owner);
      }
      owner.set(id, vm.id);
    }
    const asked = new Map<string, number>();
    for (const d of vm.devices) asked.set(d.deviceClass, (asked.get(d.deviceClass) ?? 0) + d.count);
    const classes = this.classOf.get(r.hostId)!;
    let held = 0;
    for (const id of r.deviceIds) if (asked.has(classes.get(id) ?? '')) held++;
    const extra = held - [...asked.values()].reduce((x, y) => x + y, 0);
    if (extra > 0) {
      this.heldExtra.set(vm.id, extra);
      this.extraNow += extra;
    }
  }

  /** The placer's answer for an arriving VM. */
  settle(vm: VmRequest, r: PlaceResult): void {
    if (r.placed) this.placed(vm, r);
    else this.rejected(r.reason);
  }

  /** A departing VM holds devices only if it was placed. */
  holds(vmId: string): boolean {
    return this.out.assignments.has(vmId);
  }

  /** After event k: a stranded-device sample and progress every `every` events. */
  after(k: number): void {
    if (k % this.every !== this.every - 1) return;
    this.sample();
    this.onProgress?.(k + 1);
  }

  private rejected(reason: string): void {
    this.out.rejected++;
    this.out.rejectedByReason[reason] = (this.out.rejectedByReason[reason] ?? 0) + 1;
  }

  released(vmId: string): void {
    const r = this.out.assignments.get(vmId)!;
    const owner = this.held.get(r.hostId);
    if (owner) {
      for (const id of r.deviceIds) owner.delete(id);
      if (owner.size === 0) this.held.delete(r.hostId);
    }
    this.running--;
    this.extraNow -= this.heldExtra.get(vmId) ?? 0;
    this.heldExtra.delete(vmId);
  }

  private sample(): void {
    let n = this.extraNow;
    for (const h of this.hosts) {
      const owner = this.held.get(h.id);
      if (!owner) continue;
      const busyGroups = new Set<number>();
      for (const d of h.devices) if (owner.has(d.id)) busyGroups.add(d.iommuGroup);
      for (const d of h.devices) if (!owner.has(d.id) && busyGroups.has(d.iommuGroup)) n++;
    }
    this.strandedSum += n;
    this.samples++;
  }

  finish(): PlacementOutcome {
    this.out.devicesStranded = this.samples ? this.strandedSum / this.samples : 0;
    return this.out;
  }
}

/** Arrival and departure events in time order; a departure before an arrival at the same instant. */
function timeline(arrivals: readonly VmArrival[]): { kind: 0 | 1; i: number }[] {
  const events: { t: number; kind: 0 | 1; i: number }[] = [];
  for (const [i, a] of arrivals.entries()) {
    events.push({ t: a.arriveS, kind: 1, i });
    if (Number.isFinite(a.departS)) events.push({ t: a.departS, kind: 0, i });
  }
  return events.sort((x, y) => x.t - y.t || x.kind - y.kind || x.i - y.i);
}

export async function runPlacementWith(
  hosts: readonly PlacementHost[],
  arrivals: readonly VmArrival[],
  placer: Placer,
  onProgress?: (done: number) => void,
): Promise<PlacementOutcome> {
  const tally = new Tally(hosts, arrivals, onProgress);
  if (placer.placeMany) return runInSteps(tally, arrivals, placer.placeMany.bind(placer));
  for (const [k, e] of tally.events.entries()) {
    const vm = arrivals[e.i]!.vm;
    if (e.kind === 1) tally.settle(vm, await placer.place(vm));
    else if (tally.holds(vm.id)) {
      await placer.release(vm.id);
      tally.released(vm.id);
    }
    tally.after(k);
  }
  return tally.finish();
}

/**
 * The timeline in stretches of PLACE_MANY_STEPS events, one placeMany() call each, up to
 * PLACE_MANY_IN_FLIGHT calls made before the oldest is answered. A departure is sent for every VM
 * that arrived before it (releasing one that holds nothing, a rejected one, changes nothing); the
 * answers are tallied in order, exactly as one event at a time would be.
 */
async function runInSteps(
  tally: Tally,
  arrivals: readonly VmArrival[],
  placeMany: NonNullable<Placer['placeMany']>,
): Promise<PlacementOutcome> {
  const events = tally.events;
  const arrived = new Set<string>();
  const inFlight: { from: number; results: Promise<PlaceResult[]> }[] = [];
  const settle = async () => {
    const { from, results } = inFlight.shift()!;
    const rs = await results;
    let r = 0;
    for (let k = from; k < Math.min(from + PLACE_MANY_STEPS, events.length); k++) {
      const e = events[k]!;
      const vm = arrivals[e.i]!.vm;
      if (e.kind === 1) tally.settle(vm, rs[r++]!);
      else if (tally.holds(vm.id)) tally.released(vm.id);
      tally.after(k);
    }
  };
  for (let from = 0; from < events.length; from += PLACE_MANY_STEPS) {
    const steps: PlacementStep[] = [];
    for (const e of events.slice(from, from + PLACE_MANY_STEPS)) {
      const vm = arrivals[e.i]!.vm;
      if (e.kind === 1) {
        arrived.add(vm.id);
        steps.push({ vm });
      } else if (arrived.has(vm.id)) steps.push({ release: vm.id });
    }
    const results = placeMany(steps);
    // Awaited in turn by settle(); a failure before then is not an unhandled rejection.
    results.catch(() => undefined);
    inFlight.push({ from, results });
    if (inFlight.length >= PLACE_MANY_IN_FLIGHT) await settle();
  }
  while (inFlight.length) await settle();
  return tally.finish();
}

/** The embedded run, synchronous (no promise per event: 10,000-host fleets place ~10^5 VMs). */
export function runPlacement(
  hosts: readonly PlacementHost[],
  arrivals: readonly VmArrival[],
  opts: PolicyOptions = DEFAULT_POLICY,
  onProgress?: (done: number) => void,
): PlacementOutcome {
  const placer = policyPlacer(hosts, opts);
  const tally = new Tally(hosts, arrivals, onProgress);
  for (const [k, e] of tally.events.entries()) {
    const vm = arrivals[e.i]!.vm;
    if (e.kind === 1) tally.settle(vm, placer.place(vm) as PlaceResult);
    else if (tally.holds(vm.id)) {
      void placer.release(vm.id); // synchronous for the policy placer
      tally.released(vm.id);
    }
    tally.after(k);
  }
  return tally.finish();
}

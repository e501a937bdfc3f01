// SPDX-License-Identifier: Apache-2.0
// Simulated CPUs. Each SimCpu keeps its own local time: a DMA API call running on a CPU advances
// that CPU's nowNs by the cost it is charged, so threads on different CPUs run concurrently in
// simulated time and meet only at shared locks (sim-lock.ts). Per-CPU state of the Linux layer
// (IOVA magazines, flush queues) is indexed by SimCpu.id, as the kernel indexes per-CPU data by
// smp_processor_id(). SimCpuSet.current is the model's smp_processor_id(): the CPU the next call
// runs on, chosen by whoever drives the simulation (a benchmark, a workload).

import { CoreError } from '../errors';
import type { SimClock } from './sim-clock';

/** Bound on simulated CPUs (STYLE.md item 16): Linux NR_CPUS is 8192 on x86 distributions. */
export const MAX_SIM_CPUS = 8192;

export class SimCpu {
  /** Local simulated time of this CPU, ns. */
  nowNs = 0;
  /** Time this CPU spent executing charged work (including spinning on locks), ns. */
  busyNs = 0;
  /** Of busyNs, the part spent waiting for locks, ns. */
  lockWaitNs = 0;
  constructor(
    readonly id: number,
    /** NUMA node of the CPU. */
    readonly node = 0,
  ) {}

  /** Charges `ns` of CPU work: local time and busy time advance together. */
  charge(ns: number): void {
    this.nowNs += ns;
    this.busyNs += ns;
  }

  /** Lets local time pass without CPU work (a device transfer, an idle gap). */
  idle(ns: number): void {
    this.nowNs += ns;
  }
}

export class SimCpuSet {
  readonly cpus: readonly SimCpu[];
  private cur: SimCpu;

  constructor(
    readonly clock: SimClock,
    count: number,
    nodes = 1,
  ) {
    if (!Number.isInteger(count) || count < 1 || count > MAX_SIM_CPUS) {
      throw new CoreError('OUT_OF_RANGE', `CPU count ${count} outside 1..${MAX_SIM_CPUS}`, { count });
    }
    const perNode = Math.ceil(count / nodes);
    this.cpus = Array.from({ length: count }, (_, i) => new SimCpu(i, Math.floor(i / perNode)));
    this.cur = this.cpus[0]!;
  }

  get count(): number {
    return this.cpus.length;
  }

  /** The CPU calls run on (the model's smp_processor_id()). */
  get current(): SimCpu {
    return this.cur;
  }

  /** Makes CPU `id` current and returns it. */
  runOn(id: number): SimCpu {
    const c = this.cpus[id];
    if (!c) throw new CoreError('OUT_OF_RANGE', `no CPU ${id} (have ${this.cpus.length})`, { id });
    this.cur = c;
    return c;
  }

  /**
   * Start of a call on the current CPU: the clock advances to the CPU's time, firing due timers
   * first (as a timer interrupt would before the call). A CPU behind the clock keeps its own time
   * — another CPU's call, which advanced the clock, ran concurrently with it (a discrete-event
   * driver runs each CPU's whole hook at once, so the clock is often a hook's length ahead) —
   * unless a timer fired after its time: that happened, so the CPU moves up to it. Pushing every
   * lagging CPU up to the clock serialised the CPUs of a multi-device run on the hooks' lengths.
   * Returns the current CPU.
   */
  beginCall(): SimCpu {
    const c = this.cur;
    if (c.nowNs < this.clock.lastFiredNs) c.nowNs = this.clock.lastFiredNs;
    if (c.nowNs > this.clock.nowNs) this.clock.advanceTo(c.nowNs);
    if (c.nowNs < this.clock.lastFiredNs) c.nowNs = this.clock.lastFiredNs;
    return c;
  }

  /** Lets `ns` of simulated time pass on every CPU (idle), firing timers on the way. */
  idleAll(ns: number): void {
    let maxNs = this.clock.nowNs;
    for (const c of this.cpus) maxNs = Math.max(maxNs, c.nowNs);
    const target = maxNs + ns;
    this.clock.advanceTo(target);
    for (const c of this.cpus) c.nowNs = target;
  }

  /** The CPU with the smallest local time (the next to run in a discrete-event schedule). */
  earliest(): SimCpu {
    let best = this.cpus[0]!;
    for (const c of this.cpus) if (c.nowNs < best.nowNs) best = c;
    return best;
  }
}

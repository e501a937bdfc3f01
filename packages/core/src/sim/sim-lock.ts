// SPDX-License-Identifier: Apache-2.0
// Contention on a shared lock in simulated time (the IOVA rbtree lock, a VT-d invalidation queue
// lock, the swiotlb area lock, a hardware engine that serves one request at a time). A holder
// arriving while the lock is held waits until it is released: its latency grows by the remaining
// hold time of the holders before it, then it holds the lock for its own hold time. Holders are
// served in the order they call acquire(); the discrete-event driver runs the CPU with the
// earliest local time first, so that is arrival order. Waiting is spinning: it costs CPU time
// (spin_lock_irqsave), unless acquire is told the waiter sleeps.

import type { SimCpu } from './sim-cpu';

export class SimLock {
  /** Simulated time at which the last holder releases the lock, ns. */
  freeAtNs = 0;
  acquisitions = 0;
  /** Acquisitions that had to wait. */
  contended = 0;
  totalWaitNs = 0;
  totalHoldNs = 0;

  constructor(readonly name: string) {}

  /**
   * `cpu` takes the lock, holds it for `holdNs` of work, and releases it. Advances cpu.nowNs by
   * wait + hold and charges both as CPU time when `spin` (default). Returns the wait in ns.
   */
  acquire(cpu: SimCpu, holdNs: number, spin = true): number {
    const start = Math.max(this.freeAtNs, cpu.nowNs);
    const waitNs = start - cpu.nowNs;
    this.acquisitions++;
    if (waitNs > 0) {
      this.contended++;
      this.totalWaitNs += waitNs;
      cpu.lockWaitNs += waitNs;
    }
    this.totalHoldNs += holdNs;
    if (spin) cpu.charge(waitNs + holdNs);
    else {
      cpu.idle(waitNs);
      cpu.charge(holdNs);
    }
    this.freeAtNs = cpu.nowNs;
    return waitNs;
  }
}

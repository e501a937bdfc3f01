// SPDX-License-Identifier: Apache-2.0
// Simulated time. Every latency and CPU cost in iofleet is a sum of charges from the cost model
// (cost/), never wall-clock time. SimClock is the global timeline: a monotonic nanosecond counter
// and a small event queue of timers (a binary heap ordered by deadline, ties by insertion order),
// which fire when simulated time passes their deadline. The kernel's timer_list/delayed_work users
// that the model mirrors (flush-queue timeout, IOVA depot reclaim) are built on it.

import { CoreError } from '../errors';

export type TimerCallback = (nowNs: number) => void;

/** Bound on pending timers (STYLE.md item 16): each domain holds at most a couple; runaway input trips this. */
export const MAX_PENDING_TIMERS = 1 << 16;

interface TimerEntry {
  atNs: number;
  seq: number;
  id: number;
  fn: TimerCallback;
}

export class SimClock {
  private now = 0;
  private seq = 0;
  private readonly heap: TimerEntry[] = [];
  private readonly cancelled = new Set<number>();
  /** Timers fired so far (for tests and reports). */
  firedCount = 0;
  /** Deadline of the last timer fired (a CPU behind it must not run before it: it happened). */
  lastFiredNs = 0;

  /** Current simulated time in nanoseconds since the simulation began. */
  get nowNs(): number {
    return this.now;
  }

  get pendingTimers(): number {
    return this.heap.length - this.cancelled.size;
  }

  /** Arms a timer for absolute simulated time `atNs` (>= now); returns an id for cancel(). */
  schedule(atNs: number, fn: TimerCallback): number {
    if (!(atNs >= this.now)) {
      throw new CoreError('INVALID_ARGUMENT', `timer deadline ${atNs} ns is before now (${this.now} ns)`, {
        atNs,
        nowNs: this.now,
      });
    }
    if (this.heap.length >= MAX_PENDING_TIMERS) {
      throw new CoreError('LIMIT_EXCEEDED', `more than ${MAX_PENDING_TIMERS} pending timers`, {
        limit: MAX_PENDING_TIMERS,
      });
    }
    const id = ++this.seq;
    this.push({ atNs, seq: id, id, fn });
    return id;
  }

  /** Arms a timer `delayNs` after now. */
  scheduleIn(delayNs: number, fn: TimerCallback): number {
    return this.schedule(this.now + delayNs, fn);
  }

  cancel(id: number): void {
    if (this.heap.some((e) => e.id === id)) this.cancelled.add(id);
  }

  /**
   * Moves time forward to `ns`, firing every timer whose deadline is <= ns in deadline order;
   * while a callback runs, nowNs equals its deadline. Moving backwards is a no-op (time is
   * monotonic; per-CPU local times may lag the clock, see sim-cpu.ts).
   */
  advanceTo(ns: number): void {
    while (this.heap.length > 0 && this.heap[0]!.atNs <= ns) {
      const e = this.pop();
      if (this.cancelled.delete(e.id)) continue;
      if (e.atNs > this.now) this.now = e.atNs;
      this.firedCount++;
      this.lastFiredNs = this.now;
      e.fn(this.now);
    }
    if (ns > this.now) this.now = ns;
  }

  advanceBy(deltaNs: number): void {
    this.advanceTo(this.now + deltaNs);
  }

  private less(a: TimerEntry, b: TimerEntry): boolean {
    return a.atNs < b.atNs || (a.atNs === b.atNs && a.seq < b.seq);
  }

  private push(e: TimerEntry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): TimerEntry {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

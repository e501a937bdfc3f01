// SPDX-License-Identifier: Apache-2.0
// A resource that serves one transfer at a time, booked by transfers that become ready out of
// time order: a device's independent DMA requests (bus.request()) reach its DMA path when their
// page walks end, and a request started later whose translation hit the IOTLB is ready before
// an earlier one still walking. Booking the earliest gap at or after the ready time keeps the
// path's throughput bound (one transfer at a time) without making a hit wait behind a walk it
// does not depend on — what a single "free at" time would do.

/** Bound on the intervals kept: older ones are merged away (a transfer books no further back). */
export const BUSY_CALENDAR_MAX_INTERVALS = 4096;

export class BusyCalendar {
  /** Busy intervals [start, end), sorted and disjoint. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  get intervals(): number {
    return this.starts.length;
  }

  /** Books `ns` at the earliest gap starting at or after `at`; returns when the transfer ends. */
  book(at: number, ns: number): number {
    const s = this.starts;
    const e = this.ends;
    if (!(ns > 0)) return at;
    // First interval that ends after `at` (binary search: intervals are sorted by end too).
    let lo = 0;
    let hi = e.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (e[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    let i = lo;
    let start = at;
    while (i < s.length && s[i]! < start + ns) {
      start = Math.max(start, e[i]!);
      i++;
    }
    const end = start + ns;
    // Insert [start, end) before interval i, merging with touching neighbours.
    const mergePrev = i > 0 && e[i - 1]! >= start;
    const mergeNext = i < s.length && s[i]! <= end;
    if (mergePrev && mergeNext) {
      e[i - 1] = e[i]!;
      s.splice(i, 1);
      e.splice(i, 1);
    } else if (mergePrev) e[i - 1] = end;
    else if (mergeNext) s[i] = start;
    else {
      s.splice(i, 0, start);
      e.splice(i, 0, end);
    }
    if (s.length > BUSY_CALENDAR_MAX_INTERVALS) {
      // Forget the oldest gap: later bookings then cannot use it (they are ready later anyway).
      e[0] = e[1]!;
      s.splice(1, 1);
      e.splice(1, 1);
    }
    return end;
  }

  /** Forgets intervals that end at or before `t` (no transfer will be ready earlier). */
  forgetBefore(t: number): void {
    let n = 0;
    while (n < this.ends.length && this.ends[n]! <= t) n++;
    if (n) {
      this.starts.splice(0, n);
      this.ends.splice(0, n);
    }
  }
}

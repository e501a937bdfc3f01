// SPDX-License-Identifier: Apache-2.0
// A link transfers cross one after another, in issue order: a device's PCIe link, a NIC's wire,
// an SSD's link to its controller. Each built-in plugin models its link this way (a transfer
// starts when it is ready and the transfer before it has left, and holds the link for its own
// serialisation time), so the rule is written once here, beside the other helpers a plugin is
// given (readOptions). Pure bookkeeping on the simulated clock the caller passes: no dependencies.

/** One serial resource on the simulated clock, ns. Not shared between devices: each has its own. */
export class SerialLink {
  private freeAtNs = 0;

  /**
   * Sends a transfer that is ready at `readyNs` and holds the link for `holdNs`: it starts at
   * `readyNs` or when the transfer before it has left, whichever is later. Returns when it leaves
   * the link (its end), ns; a device's busy time for it is that end less the time it was issued.
   */
  send(readyNs: number, holdNs: number): number {
    this.freeAtNs = Math.max(readyNs, this.freeAtNs) + holdNs;
    return this.freeAtNs;
  }

  /** An idle link again (a device's start after a stop). */
  reset(): void {
    this.freeAtNs = 0;
  }
}

/**
 * A serial link whose transfers are issued before they are ready, and may become ready in another
 * order than they were issued: an SSD's reads are issued to its media together and come off it after
 * latencies that differ, so a read issued later can reach the link first. Each transfer takes the
 * earliest idle stretch of the link at or after its ready time that is long enough to hold it; a
 * transfer already placed keeps its place. The model's approximation of a link that serves transfers
 * in the order they become ready: it never leaves the link idle while a placed transfer waits, but
 * one that becomes ready just before a placed one and does not fit in the gap waits behind it.
 * With ready times in issue order it gives exactly SerialLink's times.
 */
export class ReadyOrderLink {
  /** Busy stretches of the link, [start, end, start, end, ...]: sorted, apart (touching ones merge). */
  private busy: number[] = [];

  /**
   * Sends a transfer ready at `readyNs` that holds the link for `holdNs`; returns when it leaves the
   * link, ns. `nowNs`: no transfer sent after this one is ready before it (the sender's clock), so
   * the stretches that ended by then are forgotten.
   */
  send(nowNs: number, readyNs: number, holdNs: number): number {
    const b = this.busy;
    let drop = 0;
    while (drop < b.length && b[drop + 1]! <= nowNs) drop += 2;
    if (drop > 0) b.splice(0, drop);
    // The first stretch that ends after readyNs (binary search over the ends).
    let lo = 0;
    let hi = b.length >> 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (b[2 * mid + 1]! <= readyNs) lo = mid + 1;
      else hi = mid;
    }
    let i = 2 * lo;
    let start = readyNs;
    // Walk the stretches until the gap before one holds the transfer.
    while (i < b.length && b[i]! < start + holdNs) {
      if (b[i + 1]! > start) start = b[i + 1]!;
      i += 2;
    }
    const end = start + holdNs;
    if (holdNs <= 0) return end; // holds nothing: no stretch to keep
    const joinsBefore = i > 0 && b[i - 1] === start;
    const joinsAfter = i < b.length && b[i] === end;
    if (joinsBefore && joinsAfter) b.splice(i - 1, 2);
    else if (joinsBefore) b[i - 1] = end;
    else if (joinsAfter) b[i] = start;
    else b.splice(i, 0, start, end);
    return end;
  }

  /** An idle link again (a device's start after a stop). */
  reset(): void {
    this.busy = [];
  }
}

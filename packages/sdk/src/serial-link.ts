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

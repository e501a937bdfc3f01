// SPDX-License-Identifier: Apache-2.0
// Agent calls that must reach a host in order. A released VM's detach has to land before the
// attach of the VM given its devices next, and the reconciler's re-attach of a VM must not land
// after that VM's release: each would find the device still held and fail (or hold it for a VM
// that owns nothing). Calls chained on a host run one after the other, in the order chained;
// hosts run independently of each other.

export class HostChains {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` after everything chained on `hostId` before it; its errors are the caller's to see. */
  run<T>(hostId: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(hostId) ?? Promise.resolve()).then(fn);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(hostId, tail);
    void tail.then(() => {
      if (this.tails.get(hostId) === tail) this.tails.delete(hostId);
    });
    return next;
  }

  /** Hosts with calls chained and not finished (for tests). */
  get busyHosts(): number {
    return this.tails.size;
  }
}

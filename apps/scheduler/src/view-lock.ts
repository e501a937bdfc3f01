// SPDX-License-Identifier: Apache-2.0
// One lock over this process's placement view (FleetState) and the Redis records it mirrors.
// A placement decides, commits locally and reserves in Redis; a heartbeat reads Redis's owners
// and syncs the view; a cancel releases in Redis and in the view. Each is a few awaits long, and
// interleaved they corrupt the view: a heartbeat that read Redis just before a reservation
// "frees" the new VM's devices locally (so the next decision takes them and conflicts), and one
// that read just before a cancel re-takes freed devices. Either changes later decisions, which is
// why placements differed from run to run. Under the lock the view changes only by decisions,
// releases and genuinely foreign changes (other schedulers), in the order requests arrive.

export class ViewLock {
  private tail: Promise<unknown> = Promise.resolve();
  private held = 0;

  /** Runs `fn` when every earlier holder is done; resolves or rejects with it. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.tail.then(async () => {
      this.held++;
      try {
        return await fn();
      } finally {
        this.held--;
      }
    });
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** True while a holder runs (for tests and metrics). */
  get busy(): boolean {
    return this.held > 0;
  }
}

// SPDX-License-Identifier: Apache-2.0
// One variant's device I/O on `iofleet worker` processes (io-fanout.ts). With --full, the what-if
// tells it each placed VM's runs as soon as the VM is placed (VariantBackend.prefetchIo): they are
// queued in jobs of RUNS_PER_JOB runs of one template, so the workers run the I/O while the
// scheduler is still placing. As the embedded run does (simulateScenario), one run per distinct
// ioRunKey runs — template, device, plugin, options and mode under the variant: runs are
// deterministic, so runs with one key give the same figures. After placement, runAll() gets the
// final list of runs: each takes the figures of its key's queued run, and keys not queued yet are
// queued then. A hinted key the final list does not have (none, when VMs are placed in arrival
// order) only costs its run.
import { type IoRun, ioRunKey, type RunFigures, type Template, type Variant } from '@iofleet/whatif';
import type { IoFanout } from './io-fanout';

/**
 * Runs per job. Small enough that jobs start while placement goes on and spread evenly over the
 * workers at the end (the last job is the tail), large enough that a job's own cost (a few Redis
 * round trips, the host description in the payload) stays small against its runs.
 */
export const RUNS_PER_JOB = 8;

export class VariantIo {
  /** Hinted runs not yet in a job, per template. */
  private readonly pending = new Map<number, IoRun[]>();
  /** Figures of every queued (or pending) run, by ioRunKey. */
  private readonly queued = new Map<string, Promise<RunFigures>>();
  /** Resolvers of pending runs' figures, until their job is queued. */
  private readonly waiting = new Map<string, (f: Promise<RunFigures>) => void>();

  constructor(
    private readonly fanout: IoFanout,
    private readonly v: Variant,
    private readonly templates: readonly Template[],
    private readonly durationNs: number,
  ) {}

  /** Runs a placed VM will need: queued in jobs as soon as a template has RUNS_PER_JOB of them. */
  prefetch(runs: readonly IoRun[]): void {
    for (const r of runs) {
      const k = ioRunKey(r);
      if (this.queued.has(k)) continue; // its figures are coming: the same key, the same figures
      // Its figures: the run's in the job it goes out in (flush()).
      const figures = new Promise<RunFigures>((resolve) => this.waiting.set(k, resolve));
      figures.catch(() => undefined);
      this.queued.set(k, figures);
      const mine = this.pending.get(r.t) ?? [];
      mine.push(r);
      this.pending.set(r.t, mine);
      if (mine.length >= RUNS_PER_JOB) this.flush(r.t);
    }
  }

  private flush(t: number): void {
    const runs = this.pending.get(t);
    if (!runs?.length) return;
    this.pending.delete(t);
    this.queue(runs);
  }

  /** Queues runs of one template as one job; each run's figures wait under its ioRunKey. */
  private queue(runs: readonly IoRun[]): void {
    const job = this.fanout.submit(this.v, this.templates[runs[0]!.t]!, runs, this.durationNs);
    for (const [i, r] of runs.entries()) {
      const f = job.then((figures) => figures[i]!);
      // A hint runAll never claims must not become an unhandled rejection; claimed ones reject there.
      f.catch(() => undefined);
      const k = ioRunKey(r);
      const pending = this.waiting.get(k);
      if (pending) {
        this.waiting.delete(k);
        pending(f);
      } else this.queued.set(k, f);
    }
  }

  /** Every run's figures, in the order of `runs`: its key's queued run, or one queued now. */
  async runAll(runs: readonly IoRun[], onDone?: (done: number) => void): Promise<RunFigures[]> {
    await this.fanout.waitForWorkers();
    for (const t of [...this.pending.keys()]) this.flush(t);
    // Keys nobody hinted: one run each, in jobs per template.
    const rest = new Map<number, IoRun[]>();
    const fresh = new Set<string>();
    for (const r of runs) {
      const k = ioRunKey(r);
      if (this.queued.has(k) || fresh.has(k)) continue;
      fresh.add(k);
      rest.set(r.t, [...(rest.get(r.t) ?? []), r]);
    }
    for (const mine of rest.values())
      for (let k = 0; k < mine.length; k += RUNS_PER_JOB) this.queue(mine.slice(k, k + RUNS_PER_JOB));
    let done = 0;
    return Promise.all(
      runs.map(async (r) => {
        const f = await this.queued.get(ioRunKey(r))!;
        onDone?.(++done);
        return f;
      }),
    );
  }
}

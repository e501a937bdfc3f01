// SPDX-License-Identifier: Apache-2.0
// Deferred IOTLB invalidation: the flush queue of Linux drivers/iommu/dma-iommu.c (lazy mode,
// IOMMU_DOMAIN_DMA_FQ). An unmap clears the PTEs but does not invalidate; queue_iova() parks the
// IOVA range (and the page-table pages the unmap freed) in a ring. The ring is emptied by one
// domain-wide flush_iotlb_all() when it is full or when the timer fires; entries are released to
// the IOVA allocator only once a flush that *started after they were queued* has finished
// (fq_flush_start_cnt / fq_flush_finish_cnt). Until then the device may still hit stale IOTLB
// entries for them: that window is what lazy mode trades for speed.
// The timer runs on the simulated clock (SimClock), never on wall time.

import type { SimClock } from '../sim/sim-clock';

/** An empty freelist, shared (most unmaps free no table page). */
const NO_PAGES: readonly number[] = Object.freeze([]);

/** Per-CPU queue entries (IOVA_DEFAULT_FQ_SIZE); the ring keeps one slot empty: 255 usable. */
export const IOVA_DEFAULT_FQ_SIZE = 256;
/** Per-CPU queue timeout (IOVA_DEFAULT_FQ_TIMEOUT, 10 ms), ns. */
export const IOVA_DEFAULT_FQ_TIMEOUT_NS = 10_000_000;
/** Single-queue variant (IOVA_SINGLE_FQ_SIZE). */
export const IOVA_SINGLE_FQ_SIZE = 32768;
/** Single-queue timeout (IOVA_SINGLE_FQ_TIMEOUT, 1000 ms), ns. */
export const IOVA_SINGLE_FQ_TIMEOUT_NS = 1_000_000_000;

/** What the queue needs from its owner (the dma-iommu cookie), which also charges the costs. */
export interface FlushQueueHost {
  /** The domain-wide invalidation (ops->flush_iotlb_all) and its wait. */
  flushIotlbAll(): void;
  /** free_iova_fast() of a released entry, plus iommu_put_pages_list() of its freelist. */
  releaseEntry(pfn: number, pages: number, freelist: readonly number[]): void;
  /** Runs the timer handler in timer context at simulated time `nowNs`. */
  runTimer(nowNs: number, handler: () => void): void;
}

/** struct iova_fq: a ring of {iova_pfn, pages, freelist, counter}. */
export class IovaFq {
  readonly pfn: Float64Array;
  readonly pages: Float64Array;
  readonly counter: Float64Array;
  /**
   * The page-table pages the unmap unlinked (the gather's freelist, list_splice()d into the entry
   * by queue_iova()): physical addresses, freed only when the entry is released.
   */
  readonly freelist: (readonly number[])[];
  head = 0;
  tail = 0;
  readonly modMask: number;

  constructor(readonly size: number) {
    this.pfn = new Float64Array(size);
    this.pages = new Float64Array(size);
    this.counter = new Float64Array(size);
    this.freelist = new Array<readonly number[]>(size).fill(NO_PAGES);
    this.modMask = size - 1;
  }

  /** fq_full() */
  full(): boolean {
    return ((this.tail + 1) & this.modMask) === this.head;
  }

  get length(): number {
    return (this.tail - this.head) & this.modMask;
  }
}

export interface FlushQueueOptions {
  /** IOMMU_DMA_OPTS_SINGLE_QUEUE: one shared queue instead of one per CPU. */
  singleQueue?: boolean;
  /** Override the timeout (ns); defaults follow the queue type. */
  timeoutNs?: number;
}

export class FlushQueues {
  readonly queues: IovaFq[];
  readonly singleQueue: boolean;
  readonly timeoutNs: number;
  fqFlushStartCnt = 0;
  fqFlushFinishCnt = 0;
  private fqTimerOn = false;
  // statistics
  flushesOnFull = 0;
  flushesOnTimeout = 0;
  entriesQueued = 0;
  entriesReleased = 0;

  constructor(
    readonly cpuCount: number,
    private readonly clock: SimClock,
    private readonly host: FlushQueueHost,
    opts: FlushQueueOptions = {},
  ) {
    this.singleQueue = opts.singleQueue ?? false;
    this.timeoutNs = opts.timeoutNs ?? (this.singleQueue ? IOVA_SINGLE_FQ_TIMEOUT_NS : IOVA_DEFAULT_FQ_TIMEOUT_NS);
    this.queues = this.singleQueue
      ? [new IovaFq(IOVA_SINGLE_FQ_SIZE)]
      : Array.from({ length: cpuCount }, () => new IovaFq(IOVA_DEFAULT_FQ_SIZE));
  }

  /** Entries not yet released, over all queues. */
  get pending(): number {
    let n = 0;
    for (const q of this.queues) n += q.length;
    return n;
  }

  get timerArmed(): boolean {
    return this.fqTimerOn;
  }

  /** fq_ring_free_locked(): releases entries covered by a finished flush. */
  private fqRingFree(fq: IovaFq): void {
    const counter = this.fqFlushFinishCnt;
    for (let idx = fq.head; idx !== fq.tail; idx = (idx + 1) & fq.modMask) {
      if (fq.counter[idx]! >= counter) break;
      this.host.releaseEntry(fq.pfn[idx]!, fq.pages[idx]!, fq.freelist[idx]!);
      fq.freelist[idx] = NO_PAGES;
      this.entriesReleased++;
      fq.head = (fq.head + 1) & fq.modMask;
    }
  }

  /** fq_flush_iotlb() */
  private fqFlushIotlb(): void {
    this.fqFlushStartCnt++;
    this.host.flushIotlbAll();
    this.fqFlushFinishCnt++;
  }

  /** fq_flush_timeout(): flush, then release every queue's flushed entries. */
  private fqFlushTimeout(): void {
    this.fqTimerOn = false;
    this.flushesOnTimeout++;
    this.fqFlushIotlb();
    for (const q of this.queues) this.fqRingFree(q);
  }

  /** queue_iova(): parks an unmapped range on CPU `cpu`'s queue (or the single queue). */
  queueIova(cpu: number, pfn: number, pages: number, freelist: readonly number[] = NO_PAGES): void {
    const fq = this.singleQueue ? this.queues[0]! : this.queues[cpu]!;
    this.fqRingFree(fq);
    if (fq.full()) {
      this.flushesOnFull++;
      this.fqFlushIotlb();
      this.fqRingFree(fq);
    }
    const idx = fq.tail;
    fq.tail = (idx + 1) & fq.modMask;
    fq.pfn[idx] = pfn;
    fq.pages[idx] = pages;
    fq.counter[idx] = this.fqFlushStartCnt;
    fq.freelist[idx] = freelist;
    this.entriesQueued++;
    if (!this.fqTimerOn) {
      this.fqTimerOn = true;
      this.clock.scheduleIn(this.timeoutNs, (t) => this.host.runTimer(t, () => this.fqFlushTimeout()));
    }
  }
}

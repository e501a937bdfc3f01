// SPDX-License-Identifier: Apache-2.0
// The DMA side of one translated domain: Linux `struct iommu_dma_cookie` (drivers/iommu/dma-iommu.c)
// — the IOVA domain with its rcaches, the flush queue in lazy mode — bound to the hardware domain
// (any IommuDomainOps: a VT-d or AMD-Vi unit's domain, or ModelDomain). It also prices what it does:
// every IOVA operation, page-table update and invalidation is charged to the CPU it runs on, with
// contention on the rbtree lock, the unit's invalidation-queue lock and its invalidation engine.

import type { Hpa, Iova } from '../addresses';
import {
  COST_INVALIDATION,
  COST_IOVA,
  COST_PAGE_TABLE,
  HwSnapshot,
  type InvalidationCost,
  newInvalidationCost,
} from '../cost/cost-model';
import type { IommuDomainOps } from '../iommu/domain-ops';
import { SimCpu } from '../sim/sim-cpu';
import { SimLock } from '../sim/sim-lock';
import type { DmaSim } from './dma-sim';
import { type FlushQueueHost, type FlushQueueOptions, FlushQueues } from './flush-queue';
import { IovaDomain, type IovaStats } from './iova-allocator';
import { IovaCaches } from './rcache';

/** x86 MSI window reserved in every DMA domain (IOAPIC_RANGE_START..END, IOMMU_RESV_MSI). */
export const X86_MSI_RESERVED: readonly [number, number] = [0xfee0_0000, 0xfeef_ffff];

export type IommuDmaMode = 'strict' | 'lazy';

export interface IommuDmaCookieOptions {
  /** 'strict': invalidate on every unmap; 'lazy': flush queue (IOMMU_DOMAIN_DMA_FQ). */
  mode: IommuDmaMode;
  fq?: FlushQueueOptions;
  /** Reserved IOVA regions in bytes, inclusive [start, end] (default: the x86 MSI window). */
  reservedRegions?: ReadonlyArray<readonly [number, number]>;
  /** The IOMMU unit's invalidation-queue lock (shared by every domain on the unit). */
  invalidationQueueLock?: SimLock;
  /** The unit's invalidation engine: processes descriptors one at a time. */
  invalidationEngine?: SimLock;
}

/** Counters of the IOVA allocator copied before an operation, to price what it did. */
class IovaMark {
  rbAllocs = 0;
  rbAllocFailures = 0;
  rbFrees = 0;
  nodes = 0;
  take(s: IovaStats): this {
    this.rbAllocs = s.rbAllocs;
    this.rbAllocFailures = s.rbAllocFailures;
    this.rbFrees = s.rbFrees;
    this.nodes = s.rbNodesVisited;
    return this;
  }
}

export class IommuDmaCookie implements FlushQueueHost {
  readonly iovad: IovaDomain;
  readonly caches: IovaCaches;
  readonly fq: FlushQueues | null;
  readonly rbtreeLock = new SimLock('iova_rbtree_lock');
  readonly iqLock: SimLock;
  readonly invEngine: SimLock;
  /** The context costs are charged to: the calling CPU, or timerCpu inside a timer. */
  private ctx: SimCpu;
  /** smp_processor_id() of the context: indexes magazines and flush queues. */
  private ctxCpuId = 0;
  /** Timer context (softirq on the CPU that was running when the timer fired). */
  private readonly timerCpu = new SimCpu(-1);
  private readonly snap = new HwSnapshot();
  private readonly invCost: InvalidationCost = newInvalidationCost();
  private readonly iovaMark = new IovaMark();

  constructor(
    readonly sim: DmaSim,
    readonly domain: IommuDomainOps,
    readonly options: IommuDmaCookieOptions,
  ) {
    const granuleLg2 = domain.pageSizesLg2[0] ?? 12;
    // iommu_dma_init_domain(): base_pfn = max(1, aperture_start >> order)
    this.iovad = new IovaDomain(2 ** granuleLg2, 1, this.rbtreeLock);
    for (const [lo, hi] of options.reservedRegions ?? [X86_MSI_RESERVED]) {
      this.iovad.reserveIova(Math.floor(lo / this.iovad.granule), Math.floor(hi / this.iovad.granule));
    }
    this.caches = new IovaCaches(this.iovad, sim.cpus.count, sim.clock);
    this.fq = options.mode === 'lazy' ? new FlushQueues(sim.cpus.count, sim.clock, this, options.fq) : null;
    this.iqLock = options.invalidationQueueLock ?? new SimLock('qi->q_lock');
    this.invEngine = options.invalidationEngine ?? new SimLock('invalidation engine');
    this.ctx = sim.cpus.current;
  }

  get granule(): number {
    return this.iovad.granule;
  }

  /** Starts a DMA API call on the current CPU (fires due timers first) and returns that CPU. */
  enter(): SimCpu {
    const cpu = this.sim.cpus.beginCall();
    this.ctx = cpu;
    this.ctxCpuId = cpu.id;
    return cpu;
  }

  /** alloc_iova_fast() on the calling CPU, priced: magazine hit, or rbtree walk under the lock. */
  allocIovaFast(pages: number, limitPfn: number, flushRcache: boolean): number {
    const m = this.iovaMark.take(this.iovad.stats);
    const pfn = this.caches.allocIovaFast(this.ctxCpuId, pages, limitPfn, flushRcache);
    this.priceIova(m);
    return pfn;
  }

  /** free_iova_fast() on the calling CPU, priced. */
  freeIovaFast(pfn: number, pages: number): void {
    const m = this.iovaMark.take(this.iovad.stats);
    this.caches.freeIovaFast(this.ctxCpuId, pfn, pages);
    this.priceIova(m);
  }

  private priceIova(m: IovaMark): void {
    const s = this.iovad.stats;
    const cost = this.sim.cost;
    const treeOps = s.rbAllocs - m.rbAllocs + s.rbAllocFailures - m.rbAllocFailures + s.rbFrees - m.rbFrees;
    if (treeOps === 0) {
      cost.charge(this.ctx, COST_IOVA, cost.ns.iovaFast);
      return;
    }
    const holdNs = treeOps * cost.ns.iovaSlowBase + (s.rbNodesVisited - m.nodes) * cost.ns.iovaSlowPerNode;
    this.sim.lockedCharge(this.ctx, this.rbtreeLock, COST_IOVA, holdNs);
  }

  /** iommu_map() through the hardware domain, priced from its counters. */
  map(iova: Iova, pa: Hpa, lengthBytes: number, perm: number): void {
    this.snap.take(this.domain.counters);
    this.domain.map(iova, pa, lengthBytes, perm);
    const cost = this.sim.cost;
    cost.charge(this.ctx, COST_PAGE_TABLE, cost.ns.iommuMapCall + cost.pageTableNs(this.snap, this.domain.counters));
  }

  /** iommu_unmap_fast(), priced. Returns bytes unmapped. */
  unmapFast(iova: Iova, lengthBytes: number): number {
    this.snap.take(this.domain.counters);
    const n = this.domain.unmap(iova, lengthBytes);
    const cost = this.sim.cost;
    cost.charge(this.ctx, COST_PAGE_TABLE, cost.ns.iommuUnmapCall + cost.pageTableNs(this.snap, this.domain.counters));
    return n;
  }

  /** Runs an invalidation and prices it: submit under the queue lock, processing by the engine, then the wait. */
  private invalidate(run: () => void): void {
    this.snap.take(this.domain.counters);
    run();
    const inv = this.sim.cost.invalidationNs(this.snap, this.domain.counters, this.invCost);
    this.sim.lockedCharge(this.ctx, this.iqLock, COST_INVALIDATION, inv.submitNs);
    this.sim.lockedCharge(this.ctx, this.invEngine, COST_INVALIDATION, inv.processNs);
    this.sim.cost.charge(this.ctx, COST_INVALIDATION, inv.waitNs);
  }

  /** iommu_iotlb_sync(): strict-mode invalidation of one range. */
  iotlbSync(iova: Iova, lengthBytes: number): void {
    this.invalidate(() => this.domain.iotlbSync(iova, lengthBytes));
  }

  /** __iommu_dma_unmap()'s tail: strict → sync then free the IOVA; lazy → queue_iova(). */
  unmapAndRelease(iova: Iova, lengthBytes: number, strict: boolean): void {
    const unmapped = this.unmapFast(iova, lengthBytes);
    if (unmapped !== lengthBytes) {
      // WARN_ON(unmapped != size) in __iommu_dma_unmap: the caller unmapped what it never mapped.
      this.sim.printk(
        `WARNING: __iommu_dma_unmap: unmapped ${unmapped} of ${lengthBytes} bytes at 0x${iova.toString(16)}`,
      );
    }
    const pfn = Math.floor(iova / this.granule);
    const pages = lengthBytes / this.granule;
    if (strict || !this.fq) {
      this.iotlbSync(iova, lengthBytes);
      this.freeIovaFast(pfn, pages);
      return;
    }
    this.sim.cost.charge(this.ctx, COST_IOVA, this.sim.cost.ns.fqQueue);
    // queue_iova(cookie, pfn, pages, &gather.freelist): the entry owns the unlinked table pages.
    this.fq.queueIova(this.ctxCpuId, pfn, pages, this.domain.takeFreelist?.());
  }

  // --- FlushQueueHost -------------------------------------------------------------------------

  flushIotlbAll(): void {
    this.invalidate(() => this.domain.flushIotlbAll());
  }

  /**
   * fq_ring_free_locked() for one entry: free_iova_fast() and iommu_put_pages_list() of its
   * freelist, now that a flush that started after the unmap has finished. The pages' freeing was
   * priced at the unmap (the unit's HW_TABLE_PAGES_FREED count), so it is not charged again.
   */
  releaseEntry(pfn: number, pages: number, freelist: readonly number[]): void {
    this.freeIovaFast(pfn, pages);
    if (freelist.length > 0) this.domain.putPages?.(freelist);
  }

  runTimer(nowNs: number, handler: () => void): void {
    const saved = this.ctx;
    const t = this.timerCpu;
    if (t.nowNs < nowNs) t.nowNs = nowNs;
    this.ctx = t;
    try {
      handler();
    } finally {
      this.ctx = saved;
    }
  }

  /** CPU time the timer context has spent (flushes and releases done from the timeout). */
  get timerBusyNs(): number {
    return this.timerCpu.busyNs;
  }
}

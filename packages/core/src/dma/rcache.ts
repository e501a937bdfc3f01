// SPDX-License-Identifier: Apache-2.0
// Per-CPU IOVA range caches (drivers/iommu/iova.c, "Magazine caches for IOVA ranges", after
// Bonwick's magazines): one IovaRcache per size class 2^0..2^5 pages; per CPU a `loaded` and a
// `prev` magazine of IOVA_MAG_SIZE PFNs; full magazines go to a depot, a singly linked list as in
// kernels since ~v6.7, trimmed by a delayed work every IOVA_DEPOT_DELAY (100 ms) while it holds
// more magazines than there are online CPUs (iova_depot_work_func). Timers run on the SimClock.

import type { SimClock } from '../sim/sim-clock';
import { flsLong, type IovaDomain } from './iova-allocator';
import { RB_NIL } from './iova-rbtree';

/** PFNs per magazine (IOVA_MAG_SIZE; 127 so size word + PFNs fill 1 KiB). */
export const IOVA_MAG_SIZE = 127;
/** Size classes: 1, 2, 4, 8, 16, 32 pages (IOVA_RANGE_CACHE_MAX_SIZE). */
export const IOVA_RANGE_CACHE_MAX_SIZE = 6;
/** Delay of the depot reclaim work (IOVA_DEPOT_DELAY = msecs_to_jiffies(100)), ns. */
export const IOVA_DEPOT_DELAY_NS = 100_000_000;

/** struct iova_magazine: `size` PFNs in use; `next` links it in the depot. */
export class IovaMagazine {
  size = 0;
  readonly pfns = new Float64Array(IOVA_MAG_SIZE);
  next: IovaMagazine | null = null;

  full(): boolean {
    return this.size === IOVA_MAG_SIZE;
  }
  empty(): boolean {
    return this.size === 0;
  }

  /**
   * iova_magazine_pop(): the topmost PFN <= limitPfn, swapped out with the last entry; 0 when no
   * PFN fits (then the caller falls back to the rbtree).
   */
  pop(limitPfn: number): number {
    let i = this.size - 1;
    while (this.pfns[i]! > limitPfn) {
      if (i === 0) return 0;
      i--;
    }
    const pfn = this.pfns[i]!;
    this.size--;
    this.pfns[i] = this.pfns[this.size]!;
    return pfn;
  }

  /** iova_magazine_push() */
  push(pfn: number): void {
    this.pfns[this.size++] = pfn;
  }

  /** iova_magazine_free_pfns(): returns every PFN to the tree. */
  freePfns(iovad: IovaDomain): void {
    for (let i = 0; i < this.size; i++) {
      const node = iovad.findIova(this.pfns[i]!);
      if (node !== RB_NIL) {
        iovad.stats.rbFrees++;
        iovad.removeIova(node);
      }
    }
    this.size = 0;
  }
}

/** struct iova_cpu_rcache */
export interface IovaCpuRcache {
  loaded: IovaMagazine;
  prev: IovaMagazine;
}

/** swap(cpu_rcache->prev, cpu_rcache->loaded), as __iova_rcache_insert and __iova_rcache_get do. */
function swapMagazines(c: IovaCpuRcache): void {
  const t = c.prev;
  c.prev = c.loaded;
  c.loaded = t;
}

/** struct iova_rcache: one size class. */
export class IovaRcache {
  depot: IovaMagazine | null = null;
  depotSize = 0;
  readonly cpuRcaches: IovaCpuRcache[];
  private workPending = false;

  constructor(
    readonly iovad: IovaDomain,
    readonly cpuCount: number,
    private readonly clock: SimClock | null,
  ) {
    this.cpuRcaches = Array.from({ length: cpuCount }, () => ({
      loaded: new IovaMagazine(),
      prev: new IovaMagazine(),
    }));
  }

  /** iova_depot_pop(): a depot magazine is always full. */
  depotPop(): IovaMagazine {
    const mag = this.depot!;
    this.depot = mag.next;
    mag.next = null;
    mag.size = IOVA_MAG_SIZE;
    this.depotSize--;
    this.iovad.stats.depotPops++;
    return mag;
  }

  /** iova_depot_push() */
  depotPush(mag: IovaMagazine): void {
    mag.next = this.depot;
    this.depot = mag;
    this.depotSize++;
    this.iovad.stats.depotPushes++;
  }

  /** schedule_delayed_work(&rcache->work, IOVA_DEPOT_DELAY): no-op while already pending. */
  private scheduleDepotWork(): void {
    if (!this.clock || this.workPending) return;
    this.workPending = true;
    this.clock.scheduleIn(IOVA_DEPOT_DELAY_NS, () => this.depotWork());
  }

  /** iova_depot_work_func(): frees one surplus magazine back to the tree and re-arms. */
  private depotWork(): void {
    this.workPending = false;
    if (this.depotSize <= this.cpuCount) return;
    const mag = this.depotPop();
    mag.freePfns(this.iovad);
    this.iovad.stats.depotReclaims++;
    this.scheduleDepotWork();
  }

  /** __iova_rcache_insert(): true when the PFN went into a magazine of CPU `cpu`. */
  insert(cpu: number, pfn: number): boolean {
    const c = this.cpuRcaches[cpu]!;
    if (c.loaded.full()) {
      if (!c.prev.full()) swapMagazines(c);
      else {
        this.depotPush(c.loaded);
        this.scheduleDepotWork();
        c.loaded = new IovaMagazine();
      }
    }
    c.loaded.push(pfn);
    return true;
  }

  /** __iova_rcache_get(): a cached PFN <= limitPfn for CPU `cpu`, or 0. */
  get(cpu: number, limitPfn: number): number {
    const c = this.cpuRcaches[cpu]!;
    if (c.loaded.empty()) {
      if (!c.prev.empty()) swapMagazines(c);
      else if (this.depot) {
        c.loaded = this.depotPop();
      } else return 0;
    }
    return c.loaded.pop(limitPfn);
  }

  /** free_cpu_cached_iovas() for one CPU */
  freeCpu(cpu: number): void {
    const c = this.cpuRcaches[cpu]!;
    c.loaded.freePfns(this.iovad);
    c.prev.freePfns(this.iovad);
  }

  /** free_global_cached_iovas() for this class */
  freeGlobal(): void {
    while (this.depot) this.depotPop().freePfns(this.iovad);
  }
}

/** order_base_2(): ceil(log2(n)) for n >= 1. */
export function orderBase2(n: number): number {
  return n <= 1 ? 0 : flsLong(n - 1);
}

/** roundup_pow_of_two() */
export function roundupPowOfTwo(n: number): number {
  return 2 ** orderBase2(n);
}

/**
 * The rcaches of one IovaDomain (iova_domain_init_rcaches) and the fast paths in front of the tree.
 * `flushRcache` of allocIovaFast: on tree exhaustion, flush every CPU's and the depot's magazines
 * back into the tree and retry once.
 */
export class IovaCaches {
  readonly rcaches: IovaRcache[];

  constructor(
    readonly iovad: IovaDomain,
    readonly cpuCount: number,
    clock: SimClock | null = null,
  ) {
    this.rcaches = Array.from({ length: IOVA_RANGE_CACHE_MAX_SIZE }, () => new IovaRcache(iovad, cpuCount, clock));
  }

  /** iova_rcache_get(): limitPfn exclusive, as the kernel passes limit_pfn + 1. */
  private rcacheGet(cpu: number, size: number, limitPfn: number): number {
    const logSize = orderBase2(size);
    if (logSize >= IOVA_RANGE_CACHE_MAX_SIZE) return 0;
    return this.rcaches[logSize]!.get(cpu, limitPfn - size);
  }

  /** iova_rcache_insert() */
  private rcacheInsert(cpu: number, pfn: number, size: number): boolean {
    const logSize = orderBase2(size);
    if (logSize >= IOVA_RANGE_CACHE_MAX_SIZE) return false;
    return this.rcaches[logSize]!.insert(cpu, pfn);
  }

  /**
   * alloc_iova_fast(): `size` pages at or below `limitPfn` on CPU `cpu`; 0 on failure. Sizes below
   * 2^(IOVA_RANGE_CACHE_MAX_SIZE-1) are rounded up to a power of two so they can be cached.
   */
  allocIovaFast(cpu: number, size: number, limitPfn: number, flushRcache: boolean): number {
    if (size < 2 ** (IOVA_RANGE_CACHE_MAX_SIZE - 1)) size = roundupPowOfTwo(size);
    const cached = this.rcacheGet(cpu, size, limitPfn + 1);
    if (cached) {
      this.iovad.stats.fastAllocs++;
      return cached;
    }
    for (;;) {
      const pfn = this.iovad.allocIova(size, limitPfn, true);
      if (pfn || !flushRcache) return pfn;
      flushRcache = false;
      this.iovad.stats.flushRetries++;
      this.freeAllCached();
    }
  }

  /** free_iova_fast(): into the CPU's magazine when the size is cacheable, else to the tree. */
  freeIovaFast(cpu: number, pfn: number, size: number): void {
    if (this.rcacheInsert(cpu, pfn, size)) {
      this.iovad.stats.fastFrees++;
      return;
    }
    this.iovad.freeIova(pfn);
  }

  /** Every CPU's magazines and every depot back to the tree (free_cpu_cached_iovas + free_global_cached_iovas). */
  freeAllCached(): void {
    for (const r of this.rcaches) {
      for (let cpu = 0; cpu < this.cpuCount; cpu++) r.freeCpu(cpu);
      r.freeGlobal();
    }
  }
}

// SPDX-License-Identifier: Apache-2.0
// The cost model: turns HwCounters deltas (what the IOMMU unit did) and software-path events
// (what the Linux DMA layer did) into nanoseconds of latency and CPU time, from a CostProfile.
// Callers charge a SimCpu (sim/sim-cpu.ts), which advances that CPU's simulated time; the model
// also keeps a per-category breakdown of everything charged. Nothing reads a wall clock.

import type { SimCpu } from '../sim/sim-cpu';
import {
  HW_CONTEXT_CACHE_MISS,
  HW_COUNTER_COUNT,
  HW_INV_DESCRIPTORS,
  HW_INV_WAITS,
  HW_IOTLB_HIT,
  HW_PSC_HIT,
  HW_PTE_WRITES,
  HW_TABLE_PAGES_ALLOCATED,
  HW_TABLE_PAGES_FREED,
  HW_TLB_INVALIDATIONS,
  HW_TRANSLATIONS,
  HW_WALK_MEM_READS,
  type HwCounters,
} from '../stats/hw-counters';
import type { CostParam, CostParams, CostProfile } from './cost-profile';

/** Every parameter of a profile resolved to nanoseconds (ns/byte and ratios kept as they are). */
export type CostNs = { readonly [K in keyof CostParams]: number };

/** Breakdown categories of charged CPU time. */
export const COST_SOFTWARE = 0;
export const COST_IOVA = 1;
export const COST_PAGE_TABLE = 2;
export const COST_INVALIDATION = 3;
export const COST_LOCK_WAIT = 4;
export const COST_SWIOTLB = 5;
export const COST_CATEGORY_COUNT = 6;
export const COST_CATEGORY_NAMES: readonly string[] = [
  'software',
  'iova',
  'pageTable',
  'invalidation',
  'lockWait',
  'swiotlb',
];

/** Reusable snapshot of HwCounters, so taking deltas on the hot path does not allocate. */
export class HwSnapshot {
  readonly c = new Float64Array(HW_COUNTER_COUNT);
  take(counters: HwCounters): this {
    this.c.set(counters.c);
    return this;
  }
  /** counters[i] - snapshot[i] */
  delta(counters: HwCounters, index: number): number {
    return counters.c[index]! - this.c[index]!;
  }
}

export class CostModel {
  readonly ns: CostNs;
  readonly cpuGhz: number;
  /** CPU ns charged per COST_* category. */
  readonly totals = new Float64Array(COST_CATEGORY_COUNT);

  constructor(readonly profile: CostProfile) {
    this.cpuGhz = profile.cpuGhz.value;
    const out: Record<string, number> = {};
    for (const [k, p] of Object.entries(profile.params) as Array<[string, CostParam]>) out[k] = this.toNs(p);
    this.ns = out as CostNs;
  }

  toNs(p: CostParam): number {
    return p.unit === 'cycles' ? p.value / this.cpuGhz : p.value;
  }

  cycles(ns: number): number {
    return ns * this.cpuGhz;
  }

  /** Charges `ns` of CPU work in `category` to `cpu` (advances its simulated time). */
  charge(cpu: SimCpu, category: number, ns: number): void {
    cpu.charge(ns);
    this.totals[category]! += ns;
  }

  /**
   * CPU ns of page-table work in a counter delta since `before`: PTE writes beyond the first
   * (the call's fixed part covers one, U01), table pages allocated and freed.
   */
  pageTableNs(before: HwSnapshot, after: HwCounters): number {
    const ptes = before.delta(after, HW_PTE_WRITES);
    return (
      Math.max(0, ptes - 1) * this.ns.pteWrite +
      before.delta(after, HW_TABLE_PAGES_ALLOCATED) * this.ns.tablePageAlloc +
      before.delta(after, HW_TABLE_PAGES_FREED) * this.ns.tablePageFree
    );
  }

  /**
   * Invalidation work in a counter delta: CPU submit time, hardware processing (every command at
   * invProcess, and each SMMUv3 TLBI's completion at invTlbiSync: the CMD_SYNC after it waits for
   * the TBUs), completion wait.
   */
  invalidationNs(before: HwSnapshot, after: HwCounters, out: InvalidationCost): InvalidationCost {
    const descs = before.delta(after, HW_INV_DESCRIPTORS);
    out.submitNs = descs * this.ns.invDescriptor;
    out.processNs = descs * this.ns.invProcess + before.delta(after, HW_TLB_INVALIDATIONS) * this.ns.invTlbiSync;
    out.waitNs = before.delta(after, HW_INV_WAITS) * this.ns.invWait;
    return out;
  }

  /**
   * Latency the IOMMU adds to device accesses in a counter delta (not CPU time): IOTLB hits,
   * page-walk memory reads, paging-structure-cache hits, context-cache misses (F&S model, U06:
   * each walk read costs lm).
   */
  translationNs(before: HwSnapshot, after: HwCounters): number {
    return (
      before.delta(after, HW_IOTLB_HIT) * this.ns.iotlbHit +
      before.delta(after, HW_WALK_MEM_READS) * this.ns.walkMemRead +
      before.delta(after, HW_PSC_HIT) * this.ns.pscHit +
      before.delta(after, HW_CONTEXT_CACHE_MISS) * this.ns.contextCacheMiss
    );
  }

  /** Base DMA time of device accesses without protection (l0 per translation, U06). */
  dmaBaseNs(before: HwSnapshot, after: HwCounters): number {
    return before.delta(after, HW_TRANSLATIONS) * this.ns.dmaBase;
  }

  /** rbtree-path IOVA cost for `nodesVisited` nodes stepped over. */
  iovaSlowNs(nodesVisited: number): number {
    return this.ns.iovaSlowBase + nodesVisited * this.ns.iovaSlowPerNode;
  }

  /** Breakdown of charged CPU ns by category name. */
  breakdown(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < COST_CATEGORY_COUNT; i++) out[COST_CATEGORY_NAMES[i]!] = this.totals[i]!;
    return out;
  }
}

/** Output of CostModel.invalidationNs (callers keep one). */
export interface InvalidationCost {
  submitNs: number;
  processNs: number;
  waitNs: number;
}

export function newInvalidationCost(): InvalidationCost {
  return { submitNs: 0, processNs: 0, waitNs: 0 };
}

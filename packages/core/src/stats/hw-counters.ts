// SPDX-License-Identifier: Apache-2.0
// Event counters every hardware unit increments as it works. The cost model (Linux layer)
// turns counts into nanoseconds and CPU cycles; hardware never looks at a clock itself.
// Counters live in one Float64Array so the hot path increments without allocating.

export const HW_IOTLB_HIT = 0;
export const HW_IOTLB_MISS = 1;
/** Paging-structure-cache hits (a walk started below the root). */
export const HW_PSC_HIT = 2;
/** Page-table entries read from memory by walks (each costs a memory access). */
export const HW_WALK_MEM_READS = 3;
export const HW_CONTEXT_CACHE_HIT = 4;
export const HW_CONTEXT_CACHE_MISS = 5;
/** Invalidation descriptors / commands executed (VT-d IQ descriptors, AMD commands). */
export const HW_INV_DESCRIPTORS = 6;
/** Invalidation waits completed (VT-d wait descriptor, AMD COMPLETION_WAIT). */
export const HW_INV_WAITS = 7;
/** Page-table entries written by map/unmap. */
export const HW_PTE_WRITES = 8;
export const HW_TABLE_PAGES_ALLOCATED = 9;
export const HW_TABLE_PAGES_FREED = 10;
export const HW_FAULTS = 11;
export const HW_DEVICE_IOTLB_INV = 12;
export const HW_TRANSLATIONS = 13;
export const HW_IOTLB_ENTRIES_INVALIDATED = 14;
export const HW_INTERRUPTS_REMAPPED = 15;
/**
 * TLB invalidation commands executed (SMMUv3 CMD_TLBI_*): each one a CMD_SYNC after it waits for
 * until every TBU has dropped the entries (IHI 0070 §4.7). VT-d and AMD-Vi do not count here.
 */
export const HW_TLB_INVALIDATIONS = 16;
export const HW_COUNTER_COUNT = 17;

export const HW_COUNTER_NAMES: readonly string[] = [
  'iotlbHit',
  'iotlbMiss',
  'pscHit',
  'walkMemReads',
  'contextCacheHit',
  'contextCacheMiss',
  'invDescriptors',
  'invWaits',
  'pteWrites',
  'tablePagesAllocated',
  'tablePagesFreed',
  'faults',
  'deviceIotlbInv',
  'translations',
  'iotlbEntriesInvalidated',
  'interruptsRemapped',
  'tlbInvalidations',
];

export class HwCounters {
  readonly c = new Float64Array(HW_COUNTER_COUNT);
  reset(): void {
    this.c.fill(0);
  }
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < HW_COUNTER_COUNT; i++) out[HW_COUNTER_NAMES[i]!] = this.c[i]!;
    return out;
  }
}

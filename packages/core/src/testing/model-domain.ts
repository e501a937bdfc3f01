// SPDX-License-Identifier: Apache-2.0
// A stand-in hardware domain (IommuDomainOps) for the DMA layer's tests (`iofleet dma bench` and
// the host run use the real units' domains): a page table (any PageTableLike, e.g. page-table.ts's
// PageTable, or the MapPageTable below) plus an IOTLB modelled as a Map that *can go stale*: unmap
// clears PTEs but leaves IOTLB entries until iotlbSync/flushIotlbAll, exactly the hazard lazy mode
// accepts. Counters are kept as a VT-d unit would (invalidation = one descriptor + one wait
// descriptor, HW_INV_WAITS + 1), so the cost model prices it like the real unit.
// Departure: walks are charged a fixed `walkLevels` memory reads per IOTLB miss (no
// paging-structure caches); the real units model those.

import { type DomainId, domainId, type PhysAddr } from '../addresses';
import { CoreError } from '../errors';
import type { IommuDomainOps } from '../iommu/domain-ops';
import { PERM_WRITE } from '../page-table/format';
import {
  HW_INV_DESCRIPTORS,
  HW_INV_WAITS,
  HW_IOTLB_ENTRIES_INVALIDATED,
  HW_IOTLB_HIT,
  HW_IOTLB_MISS,
  HW_PTE_WRITES,
  HW_TABLE_PAGES_ALLOCATED,
  HW_TRANSLATIONS,
  HW_WALK_MEM_READS,
  HwCounters,
} from '../stats/hw-counters';

/** What the double needs from a page table: the shape of page-table.ts's PageTable. */
export interface PageTableLike {
  map(iova: number, pa: number, lengthBytes: number, perm: number): void;
  unmap(iova: number, lengthBytes: number): number;
  iovaToPhys(iova: number): number;
}

/**
 * A 4 KiB-only page table kept as a Map (pfn -> pa | perm), counting PTE writes and the table
 * pages a 4-level radix table would need (one per distinct 2 MiB / 1 GiB / 512 GiB region).
 */
export class MapPageTable implements PageTableLike {
  private readonly ptes = new Map<number, number>();
  private readonly perms = new Map<number, number>();
  private readonly tables = new Set<number>();
  tablePages = 1; // the root

  constructor(readonly counters: HwCounters) {}

  map(iova: number, pa: number, lengthBytes: number, perm: number): void {
    const first = Math.floor(iova / 4096);
    const n = Math.ceil(lengthBytes / 4096);
    for (let i = 0; i < n; i++) {
      if (this.ptes.has(first + i)) {
        throw new CoreError('ALREADY_MAPPED', `IOVA 0x${((first + i) * 4096).toString(16)} already mapped`, {
          iova: (first + i) * 4096,
        });
      }
    }
    for (let i = 0; i < n; i++) {
      const pfn = first + i;
      for (const shift of [9, 18, 27]) {
        const key = Math.floor(pfn / 2 ** shift) * 4 + shift / 9;
        if (!this.tables.has(key)) {
          this.tables.add(key);
          this.tablePages++;
          this.counters.c[HW_TABLE_PAGES_ALLOCATED]!++;
        }
      }
      this.ptes.set(pfn, pa + i * 4096);
      this.perms.set(pfn, perm);
      this.counters.c[HW_PTE_WRITES]!++;
    }
  }

  unmap(iova: number, lengthBytes: number): number {
    const first = Math.floor(iova / 4096);
    const n = Math.ceil(lengthBytes / 4096);
    let done = 0;
    for (let i = 0; i < n; i++) {
      if (this.ptes.delete(first + i)) {
        this.perms.delete(first + i);
        done += 4096;
        this.counters.c[HW_PTE_WRITES]!++;
      }
    }
    return done;
  }

  iovaToPhys(iova: number): number {
    const e = this.ptes.get(Math.floor(iova / 4096));
    return e === undefined ? -1 : e + (iova % 4096);
  }

  /** PERM_* of the mapping at `iova` (0 when unmapped). */
  permOf(iova: number): number {
    return this.perms.get(Math.floor(iova / 4096)) ?? 0;
  }
}

/** Result of a device access through ModelDomain.translate (reused; not allocated per call). */
export interface ModelTranslation {
  ok: boolean;
  pa: number;
  iotlbHit: boolean;
}

export class ModelDomain implements IommuDomainOps {
  readonly counters: HwCounters;
  readonly pageSizesLg2: readonly number[] = [12];
  readonly pageTable: PageTableLike;
  /** IOTLB: iova pfn -> page base pa. Insertion order gives FIFO eviction. */
  readonly iotlb = new Map<number, number>();
  private readonly out: ModelTranslation = { ok: false, pa: 0, iotlbHit: false };

  readonly domainId: DomainId;

  constructor(
    id: number,
    opts: {
      counters?: HwCounters;
      pageTable?: PageTableLike;
      apertureBits?: number;
      iotlbEntries?: number;
      walkLevels?: number;
    } = {},
  ) {
    this.domainId = domainId(id);
    this.counters = opts.counters ?? new HwCounters();
    this.pageTable = opts.pageTable ?? new MapPageTable(this.counters);
    this.apertureEnd = 2 ** (opts.apertureBits ?? 48);
    this.iotlbEntries = opts.iotlbEntries ?? 512;
    this.walkLevels = opts.walkLevels ?? 4;
  }

  readonly apertureEnd: number;
  readonly iotlbEntries: number;
  readonly walkLevels: number;

  get tablePages(): number {
    const pt = this.pageTable as { tablePages?: number };
    return pt.tablePages ?? 0;
  }

  map(iova: number, pa: number, lengthBytes: number, perm: number): void {
    this.pageTable.map(iova, pa, lengthBytes, perm);
  }

  unmap(iova: number, lengthBytes: number): number {
    return this.pageTable.unmap(iova, lengthBytes);
  }

  iotlbSync(iova: number, lengthBytes: number): void {
    const first = Math.floor(iova / 4096);
    const n = Math.ceil(lengthBytes / 4096);
    let dropped = 0;
    for (let i = 0; i < n; i++) if (this.iotlb.delete(first + i)) dropped++;
    this.countInvalidation(dropped);
  }

  flushIotlbAll(): void {
    const dropped = this.iotlb.size;
    this.iotlb.clear();
    this.countInvalidation(dropped);
  }

  private countInvalidation(dropped: number): void {
    this.counters.c[HW_INV_DESCRIPTORS]! += 2; // IOTLB invalidation + wait descriptor
    this.counters.c[HW_INV_WAITS]!++;
    this.counters.c[HW_IOTLB_ENTRIES_INVALIDATED]! += dropped;
  }

  /** The page table holds what map() was given: a PhysAddr as a number. */
  iovaToPhys(iova: number): PhysAddr {
    return this.pageTable.iovaToPhys(iova) as PhysAddr;
  }

  /**
   * A device access to `iova`: IOTLB first (possibly stale), then a walk of the page table.
   * Faults are values: ok=false when nothing maps the address.
   */
  translate(iova: number, write: boolean): ModelTranslation {
    const o = this.out;
    const pfn = Math.floor(iova / 4096);
    this.counters.c[HW_TRANSLATIONS]!++;
    const hit = this.iotlb.get(pfn);
    if (hit !== undefined) {
      this.counters.c[HW_IOTLB_HIT]!++;
      o.ok = true;
      o.pa = hit + (iova % 4096);
      o.iotlbHit = true;
      return o;
    }
    this.counters.c[HW_IOTLB_MISS]!++;
    this.counters.c[HW_WALK_MEM_READS]! += this.walkLevels;
    const pa = this.pageTable.iovaToPhys(pfn * 4096);
    const pt = this.pageTable as MapPageTable;
    const permOk = !write || typeof pt.permOf !== 'function' || (pt.permOf(pfn * 4096) & PERM_WRITE) !== 0;
    o.iotlbHit = false;
    if (pa < 0 || !permOk) {
      o.ok = false;
      o.pa = -1;
      return o;
    }
    if (this.iotlb.size >= this.iotlbEntries) this.iotlb.delete(this.iotlb.keys().next().value as number);
    this.iotlb.set(pfn, pa);
    o.ok = true;
    o.pa = pa + (iova % 4096);
    return o;
  }
}

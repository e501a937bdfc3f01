// SPDX-License-Identifier: Apache-2.0
// One I/O page table in simulated physical memory: map, unmap, iova-to-phys and iteration, written
// once over PageTableFormat (Linux drivers/iommu/generic_pt/iommu_pt.h: map_pages, unmap_pages,
// iova_to_phys; drivers/iommu/iommu.c: __iommu_map/__iommu_unmap, which split a range by page size).
//
// Contracts, after Linux:
//  - map() picks, for each step, the largest supported page size that the alignment of both iova
//    and pa and the remaining length allow (iommu_pgsize()). Overlap with any existing mapping is
//    CoreError 'ALREADY_MAPPED', and whatever this call already mapped is unmapped again, as
//    __iommu_map() does on failure, so a failed map leaves the table unchanged.
//  - unmap() removes whole leaves starting at iova: a range that ends inside a leaf removes the whole
//    leaf and counts its full size (generic_pt __unmap_range(): "the entire entry is unmapped and the
//    length returned will be larger than requested"). It stops, returning the bytes removed so far,
//    at a hole or when iova falls inside a leaf that starts before it (__unmap_range returns -EINVAL
//    there and __iommu_unmap() stops on a short unmap).
//  - Tables built here never skip levels (Linux builds AMD-Vi PDEs with NL = level-1).
//  - Addresses, lengths and physical addresses are multiples of the format's granule (4 KiB, or
//    16/64 KiB for Arm formats: Linux iommu_map() refuses anything below the smallest page size).
//    A table is one granule of simulated memory (the root: at least one granule, or Arm stage-2
//    concatenated tables), allocated aligned to its size as the hardware needs.
//
// Model departure: a table page that becomes empty is freed at once (lastFreedTablePages). Linux
// frees only tables whose whole range the unmap covered and keeps emptied ones until reused or
// the domain is freed; freeing eagerly keeps the memory figure a function of what is mapped.

import { CoreError } from '../errors';
import type { PhysMemory } from '../memory/phys-memory';
import { HW_PTE_WRITES, HW_TABLE_PAGES_ALLOCATED, HW_TABLE_PAGES_FREED, type HwCounters } from '../stats/hw-counters';
import { ENTRY_EMPTY, ENTRY_LEAF, newWalkOut, type PageTableFormat, PERM_RW, WALK_OK } from './format';
import {
  addrHi,
  addrLo,
  fmtIndexBits,
  fmtLevelOfSize,
  fmtLevelShift,
  fmtTableIndex,
  fmtTablePages,
  formatInputLimit,
  POW2,
  pageSizesLg2,
} from './level-math';
import { walk } from './walk';

/** What takeFreelist() returns when no table page was unlinked (no allocation per unmap). */
const NO_PAGES: readonly number[] = Object.freeze([]);

/** Output addresses are 52 bits in every format modelled (address field 51:12). */
const OUTPUT_LIMIT = 2 ** 52;

export interface MappedLeaf {
  iova: number;
  pa: number;
  sizeLg2: number;
  perm: number;
  /** Level of the table holding the leaf's entries. */
  level: number;
}

export class PageTable {
  readonly rootPa: number;
  /** Table pages the last unmap() freed (for the IOTLB gather's freelist and the cost model). */
  lastFreedTablePages = 0;
  /**
   * Emptied lower tables the last map() replaced with a superpage: the caller must flush the
   * range (IOTLB and paging-structure caches) before they are freed, as Linux does.
   */
  lastReplacedTablePages = 0;
  /** Unlinked table pages waiting for the IOTLB flush ('covered' mode; see releaseFreed()). */
  private readonly freelist: number[] = [];
  /** The range of the unmap in progress (decides which emptied tables are freed). */
  private unmapLo = 0;
  private unmapHi = 0;
  private pages = 1;
  private destroyed = false;
  /** Non-empty entries per table page, keyed by the page's physical address. */
  private readonly used = new Map<number, number>();
  private readonly sizesDesc: number[];
  private readonly inputLimit: number;
  private readonly out = newWalkOut();
  /** The words of the entry load() read last (bits 31:0 and 63:32). */
  private lo = 0;
  private hi = 0;
  /** Bytes of the smallest page (the granule) and 4 KiB memory pages of a non-root table / the root. */
  private readonly granule: number;
  private readonly tableMemPages: number;
  private readonly rootMemPages: number;

  constructor(
    readonly mem: PhysMemory,
    readonly fmt: PageTableFormat,
    private readonly counters?: HwCounters,
    /** When emptied table pages are freed (see release()); the IOMMU units use Linux's 'covered'. */
    readonly tableFreeing: 'when-empty' | 'covered' = 'when-empty',
  ) {
    this.sizesDesc = pageSizesLg2(fmt).reverse();
    this.inputLimit = formatInputLimit(fmt);
    this.granule = POW2[fmt.granuleLg2]!;
    this.tableMemPages = POW2[fmt.granuleLg2 - 12]!;
    this.rootMemPages = fmtTablePages(fmt, fmt.levels);
    this.rootPa = mem.allocTableBlock(this.rootMemPages);
    this.used.set(this.rootPa, 0);
    this.count(HW_TABLE_PAGES_ALLOCATED, 1);
  }

  /** Table pages this table holds, root included. */
  get tablePages(): number {
    return this.pages;
  }

  /** Page sizes (log2 bytes) map() can use, ascending: Linux pgsize_bitmap. */
  get pageSizesLg2(): readonly number[] {
    return [...this.sizesDesc].reverse();
  }

  map(iova: number, pa: number, lengthBytes: number, perm: number): void {
    this.checkLive();
    this.checkRange(iova, lengthBytes);
    if (!isMultiple(pa, this.granule) || pa + lengthBytes > OUTPUT_LIMIT) {
      throw new CoreError(
        'INVALID_ARGUMENT',
        `pa 0x${pa.toString(16)} is not a ${this.granule / 1024} KiB-aligned 52-bit address`,
        { pa },
      );
    }
    if ((perm & PERM_RW) === 0 || (perm & ~PERM_RW) !== 0) {
      throw new CoreError('INVALID_ARGUMENT', `permission ${perm} is not PERM_READ, PERM_WRITE or PERM_RW`, { perm });
    }
    this.lastReplacedTablePages = 0;
    let done = 0;
    while (done < lengthBytes) {
      const sizeLg2 = this.pickSize(iova + done, pa + done, lengthBytes - done);
      try {
        this.installLeaf(iova + done, pa + done, sizeLg2, perm);
      } catch (e) {
        if (done > 0) this.unmap(iova, done);
        throw e;
      }
      done += POW2[sizeLg2]!;
    }
  }

  unmap(iova: number, lengthBytes: number): number {
    this.checkLive();
    this.checkRange(iova, lengthBytes);
    this.lastFreedTablePages = 0;
    this.unmapLo = iova;
    this.unmapHi = iova + lengthBytes;
    let unmapped = 0;
    while (unmapped < lengthBytes) {
      const removed = this.removeLeafAt(iova + unmapped);
      if (removed === 0) break;
      unmapped += removed;
    }
    return unmapped;
  }

  /** Linux iommu_iova_to_phys(): the physical address, or -1 when nothing is mapped. */
  iovaToPhys(iova: number): number {
    this.checkLive();
    walk(this.mem, this.fmt, this.rootPa, iova, 0, this.out);
    return this.out.status === WALK_OK ? this.out.pa : -1;
  }

  /** Every mapped leaf in ascending iova order (a contiguous AMD-Vi page is reported once). */
  *leaves(): IterableIterator<MappedLeaf> {
    this.checkLive();
    yield* this.leavesIn(this.rootPa, this.fmt.levels, 0);
  }

  /**
   * Returns the table pages unlinked by unmaps since the last call to simulated memory. In
   * 'covered' mode tables are not freed at unmap: like Linux's iommu_pages_list freelist, they
   * are released only after the IOTLB flush that follows, so no cached walk can reach a page
   * that was already reused. Returns how many pages were released.
   */
  releaseFreed(): number {
    const n = this.freelist.length;
    for (const pa of this.freelist) this.mem.freeTableBlock(pa, this.tableMemPages);
    this.freelist.length = 0;
    return n;
  }

  /**
   * Hands the pages unlinked since the last flush to a new owner (Linux's gather freelist spliced
   * into a flush-queue entry by queue_iova()), who frees them with putPages() once an IOTLB flush
   * that started after the unmap has finished. Returns a shared empty array when there are none.
   */
  takeFreelist(): readonly number[] {
    if (this.freelist.length === 0) return NO_PAGES;
    return this.freelist.splice(0);
  }

  /** iommu_put_pages_list(): frees pages taken with takeFreelist(). */
  putPages(pages: readonly number[]): void {
    for (const pa of pages) this.mem.freeTableBlock(pa, this.tableMemPages);
  }

  /** Frees every table page, root included; the table cannot be used afterwards. */
  destroy(): void {
    if (this.destroyed) return;
    this.releaseFreed();
    for (const tablePa of this.used.keys())
      this.mem.freeTableBlock(tablePa, tablePa === this.rootPa ? this.rootMemPages : this.tableMemPages);
    this.count(HW_TABLE_PAGES_FREED, this.pages);
    this.used.clear();
    this.pages = 0;
    this.destroyed = true;
  }

  private pickSize(iova: number, pa: number, remaining: number): number {
    for (const s of this.sizesDesc) {
      const size = POW2[s]!;
      if (size <= remaining && iova % size === 0 && pa % size === 0) return s;
    }
    return this.fmt.granuleLg2; // unreachable: every format maps its granule and the range is granule-aligned
  }

  /** The 4 KiB page of a table holding entry `idx` (entry idx & 511 of it). */
  private entryPage(tablePa: number, idx: number): Uint32Array {
    return this.mem.words(tablePa / 4096 + (idx >>> 9))!;
  }

  /** Reads entry `idx` of the table at `tablePa` into this.lo / this.hi; returns its kind at `level`. */
  private load(tablePa: number, idx: number, level: number): number {
    const words = this.entryPage(tablePa, idx);
    const e = idx & 511;
    this.lo = words[2 * e]!;
    this.hi = words[2 * e + 1]!;
    return this.fmt.entryKind(this.lo, this.hi, level);
  }

  /** The output address (next table, or leaf) of the entry load() read last. */
  private loadedOutput(level: number): number {
    return this.fmt.entryOutputAddress(this.lo, this.hi, level);
  }

  /** Installs one leaf (all its contiguous entries), allocating tables on the way down. */
  private installLeaf(iova: number, pa: number, sizeLg2: number, perm: number): void {
    const fmt = this.fmt;
    const ivLo = addrLo(iova);
    const ivHi = addrHi(iova);
    const target = fmtLevelOfSize(fmt, sizeLg2);
    let tablePa = this.rootPa;
    for (let level = fmt.levels; level > target; level--) {
      const idx = fmtTableIndex(fmt, ivLo, ivHi, level);
      const kind = this.load(tablePa, idx, level);
      if (kind === ENTRY_LEAF) throw alreadyMapped(iova, sizeLg2);
      if (kind === ENTRY_EMPTY) {
        const child = this.mem.allocTableBlock(this.tableMemPages);
        fmt.writeTable(this.entryPage(tablePa, idx), idx & 511, child, level);
        this.used.set(child, 0);
        this.used.set(tablePa, this.used.get(tablePa)! + 1);
        this.pages++;
        this.count(HW_TABLE_PAGES_ALLOCATED, 1);
        this.count(HW_PTE_WRITES, 1);
        tablePa = child;
      } else {
        tablePa = this.loadedOutput(level);
      }
    }
    const n = fmt.contiguousEntries(sizeLg2, target);
    const first = fmtTableIndex(fmt, ivLo, ivHi, target);
    for (let i = first; i < first + n; i++) {
      const kind = this.load(tablePa, i, target);
      if (kind === ENTRY_LEAF || (kind !== ENTRY_EMPTY && this.hasLeaf(this.loadedOutput(target), target - 1)))
        throw alreadyMapped(iova, sizeLg2);
    }
    for (let i = first; i < first + n; i++) {
      if (this.load(tablePa, i, target) === ENTRY_EMPTY) continue;
      // An emptied lower table sits where the superpage goes (kept by 'covered' freeing): replace
      // it, as Linux does (VT-d switch_to_super_page(), AMD v1 free_clear_pte() in map_pages).
      this.dropSubtree(this.loadedOutput(target), target - 1);
      fmt.clearEntry(this.entryPage(tablePa, i), i & 511);
      this.used.set(tablePa, this.used.get(tablePa)! - 1);
      this.count(HW_PTE_WRITES, 1);
    }
    for (let i = first; i < first + n; i++)
      fmt.writeLeaf(this.entryPage(tablePa, i), i & 511, pa, sizeLg2, perm, target);
    this.used.set(tablePa, this.used.get(tablePa)! + n);
    this.count(HW_PTE_WRITES, n);
  }

  /** Whether the table of `level` at `tablePa` (and the tables below it) maps anything. */
  private hasLeaf(tablePa: number, level: number): boolean {
    if (this.used.get(tablePa) === 0) return false;
    const entries = POW2[fmtIndexBits(this.fmt, level)]!;
    for (let i = 0; i < entries; i++) {
      const kind = this.load(tablePa, i, level);
      if (kind === ENTRY_LEAF || (kind !== ENTRY_EMPTY && this.hasLeaf(this.loadedOutput(level), level - 1)))
        return true;
    }
    return false;
  }

  /**
   * Unlinks a leafless subtree (its caller clears the entry pointing to it). Its pages go to the
   * freelist in 'covered' mode — freed after the flush the map must then issue (lastReplacedTablePages).
   */
  private dropSubtree(tablePa: number, level: number): void {
    const entries = POW2[fmtIndexBits(this.fmt, level)]!;
    if (level > 1)
      for (let i = 0; i < entries; i++)
        if (this.load(tablePa, i, level) !== ENTRY_EMPTY) this.dropSubtree(this.loadedOutput(level), level - 1);
    this.unlinkTable(tablePa);
    this.lastReplacedTablePages++;
  }

  /** Lets a non-root table page go: to the freelist in 'covered' mode (freed after the caller's flush), else at once. */
  private unlinkTable(tablePa: number): void {
    this.used.delete(tablePa);
    if (this.tableFreeing === 'covered') this.freelist.push(tablePa);
    else this.mem.freeTableBlock(tablePa, this.tableMemPages);
    this.pages--;
    this.count(HW_TABLE_PAGES_FREED, 1);
  }

  /** Removes the leaf that starts at iova; 0 when none does (a hole, or iova inside a leaf). */
  private removeLeafAt(iova: number): number {
    const fmt = this.fmt;
    const ivLo = addrLo(iova);
    const ivHi = addrHi(iova);
    const tables: number[] = [];
    const indexes: number[] = [];
    const levels: number[] = [];
    let tablePa = this.rootPa;
    for (let level = fmt.levels; level >= 1; level--) {
      const idx = fmtTableIndex(fmt, ivLo, ivHi, level);
      const kind = this.load(tablePa, idx, level);
      if (kind === ENTRY_EMPTY) return 0;
      tables.push(tablePa);
      indexes.push(idx);
      levels.push(level);
      if (kind === ENTRY_LEAF) {
        const sizeLg2 = fmt.leafSizeLg2(this.lo, this.hi, level);
        if (iova % POW2[sizeLg2]! !== 0) return 0;
        const n = fmt.contiguousEntries(sizeLg2, level);
        for (let i = idx; i < idx + n; i++) fmt.clearEntry(this.entryPage(tablePa, i), i & 511);
        this.count(HW_PTE_WRITES, n);
        this.release(tables, indexes, levels, iova, n);
        return POW2[sizeLg2]!;
      }
      tablePa = this.loadedOutput(level);
    }
    return 0;
  }

  /**
   * Drops `n` entries from the last table on the path and frees tables that become empty: at once
   * ('when-empty'), or only when the unmap range covers the table's whole span ('covered'), as
   * Linux does (dma_pte_clear_level() and generic_pt free only fully covered tables), so a table
   * emptied by a small unmap stays for the next map.
   */
  private release(tables: number[], indexes: number[], levels: number[], iova: number, n: number): void {
    for (let k = tables.length - 1; k >= 0; k--) {
      const tablePa = tables[k]!;
      const left = this.used.get(tablePa)! - n;
      this.used.set(tablePa, left);
      if (left > 0 || k === 0) return;
      if (this.tableFreeing === 'covered') {
        const span = POW2[fmtLevelShift(this.fmt, levels[k]! + 1)]!;
        const base = Math.floor(iova / span) * span;
        if (base < this.unmapLo || base + span > this.unmapHi) return;
      }
      this.unlinkTable(tablePa);
      this.lastFreedTablePages++;
      this.fmt.clearEntry(this.entryPage(tables[k - 1]!, indexes[k - 1]!), indexes[k - 1]! & 511);
      this.count(HW_PTE_WRITES, 1);
      n = 1;
    }
  }

  private *leavesIn(tablePa: number, level: number, base: number): Generator<MappedLeaf> {
    const fmt = this.fmt;
    const span = POW2[fmtLevelShift(fmt, level)]!;
    const entries = POW2[fmtIndexBits(fmt, level)]!;
    for (let i = 0; i < entries; i++) {
      const words = this.entryPage(tablePa, i);
      const lo = words[2 * (i & 511)]!;
      const hi = words[2 * (i & 511) + 1]!;
      const kind = fmt.entryKind(lo, hi, level);
      if (kind === ENTRY_EMPTY) continue;
      if (kind === ENTRY_LEAF) {
        const sizeLg2 = fmt.leafSizeLg2(lo, hi, level);
        const perm = fmt.entryPerm(lo, hi, level);
        yield { iova: base + i * span, pa: fmt.entryOutputAddress(lo, hi, level), sizeLg2, perm, level };
        i += fmt.contiguousEntries(sizeLg2, level) - 1;
      } else {
        yield* this.leavesIn(fmt.entryOutputAddress(lo, hi, level), level - 1, base + i * span);
      }
    }
  }

  private checkRange(iova: number, lengthBytes: number): void {
    const g = this.granule;
    if (!isMultiple(iova, g) || !isMultiple(lengthBytes, g) || lengthBytes === 0) {
      throw new CoreError(
        'INVALID_ARGUMENT',
        `range 0x${iova.toString(16)}+0x${lengthBytes.toString(16)} is not ${g / 1024} KiB-aligned`,
        {
          iova,
          lengthBytes,
        },
      );
    }
    if (iova + lengthBytes > this.inputLimit) {
      throw new CoreError(
        'OUT_OF_RANGE',
        `range 0x${iova.toString(16)}+0x${lengthBytes.toString(16)} is beyond ${this.fmt.name}'s input width`,
        {
          iova,
          lengthBytes,
          inputWidth: this.fmt.inputWidth,
        },
      );
    }
  }

  private checkLive(): void {
    if (this.destroyed) throw new CoreError('INVALID_STATE', 'page table used after destroy()');
  }

  private count(counter: number, n: number): void {
    if (this.counters !== undefined) this.counters.c[counter] = this.counters.c[counter]! + n;
  }
}

function isMultiple(n: number, granule: number): boolean {
  return Number.isSafeInteger(n) && n >= 0 && n % granule === 0;
}

function alreadyMapped(iova: number, sizeLg2: number): CoreError {
  return new CoreError('ALREADY_MAPPED', `0x${iova.toString(16)} (2^${sizeLg2} bytes) overlaps an existing mapping`, {
    iova,
    sizeLg2,
  });
}

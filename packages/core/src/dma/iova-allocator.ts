// SPDX-License-Identifier: Apache-2.0
// The IOVA allocator of a DMA domain: Linux `struct iova_domain` (drivers/iommu/iova.c,
// include/linux/iova.h). Allocated ranges live in a red-black tree with an anchor node at the top
// of the PFN space; allocation is top-down and size-aligned (__alloc_and_insert_iova_range),
// starting at a cached node (cached_node / cached32_node), with max32_alloc_size remembering the
// smallest 32-bit size that failed. Per-CPU range caches (rcache.ts) sit in front
// (allocIovaFast / freeIovaFast).
//
// Units: everything here is in PFNs of the domain's granule (iova_shift), as in iova.c.
// Departures: the anchor is at IOVA_ANCHOR_PFN (2^41 - 1, the top 4 KiB PFN the model's 2^53
// address space holds) instead of ~0UL; a failed allocation returns 0 (the kernel's NULL / 0 pfn),
// which is unambiguous because start_pfn >= 1.

import { CoreError } from '../errors';
import type { SimLock } from '../sim/sim-lock';
import { IovaRbTree, RB_NIL } from './iova-rbtree';

/** Anchor PFN (IOVA_ANCHOR ~0UL in iova.h), clipped to the model's address range. */
export const IOVA_ANCHOR_PFN = 2 ** 41 - 1;

/** fls_long(x): index (1-based) of the highest set bit, 0 for 0. Works beyond 2^32. */
export function flsLong(x: number): number {
  if (x <= 0) return 0;
  if (x < 0x100000000) return 32 - Math.clz32(x);
  return 64 - Math.clz32(Math.floor(x / 0x100000000));
}

/** Counts the allocator keeps for the cost model (slow = rbtree path under the tree lock). */
export class IovaStats {
  rbAllocs = 0;
  rbAllocFailures = 0;
  rbFrees = 0;
  /** Tree nodes stepped over by __alloc_and_insert_iova_range (its cost grows with them). */
  rbNodesVisited = 0;
  fastAllocs = 0;
  fastFrees = 0;
  /** alloc_iova_fast calls that flushed every rcache and retried. */
  flushRetries = 0;
  depotPushes = 0;
  depotPops = 0;
  /** Magazines returned to the tree by the depot reclaim work (iova_depot_work_func). */
  depotReclaims = 0;
}

export class IovaDomain {
  readonly tree = new IovaRbTree();
  /** Smallest page size the IOMMU maps, bytes (iovad->granule). */
  readonly granule: number;
  readonly shift: number;
  readonly startPfn: number;
  /** First PFN above 4 GiB (iovad->dma_32bit_pfn). */
  readonly dma32bitPfn: number;
  /** Node where the next search above / below 4 GiB starts. */
  cachedNode: number;
  cached32Node: number;
  /** Allocations of this size or more below 4 GiB fail without a search (max32_alloc_size). */
  max32AllocSize: number;
  readonly anchor: number;
  readonly stats = new IovaStats();

  /**
   * init_iova_domain(). `rbtreeLock` is the simulated iova_rbtree_lock; callers that model time
   * acquire it around the slow path (dma-iommu.ts), the allocator only counts work.
   */
  constructor(
    granule: number,
    startPfn: number,
    readonly rbtreeLock: SimLock | null = null,
  ) {
    if (granule < 4096 || (granule & (granule - 1)) !== 0) {
      throw new CoreError('INVALID_ARGUMENT', `IOVA granule ${granule} is not a power of two >= 4096`, { granule });
    }
    if (!Number.isSafeInteger(startPfn) || startPfn < 1) {
      throw new CoreError('INVALID_ARGUMENT', `start_pfn ${startPfn} must be >= 1`, { startPfn });
    }
    this.granule = granule;
    this.shift = Math.log2(granule);
    this.startPfn = startPfn;
    this.dma32bitPfn = 2 ** (32 - this.shift);
    this.max32AllocSize = this.dma32bitPfn;
    this.anchor = this.tree.insert(IOVA_ANCHOR_PFN, IOVA_ANCHOR_PFN);
    this.cachedNode = this.anchor;
    this.cached32Node = this.anchor;
  }

  /** __get_cached_rbnode() */
  private getCachedRbnode(limitPfn: number): number {
    return limitPfn <= this.dma32bitPfn ? this.cached32Node : this.cachedNode;
  }

  /** __cached_rbnode_insert_update() */
  private cachedRbnodeInsertUpdate(node: number): void {
    if (this.tree.pfnHi[node]! < this.dma32bitPfn) this.cached32Node = node;
    else this.cachedNode = node;
  }

  /** __cached_rbnode_delete_update() */
  private cachedRbnodeDeleteUpdate(node: number): void {
    const t = this.tree;
    const lo = t.pfnLo[node]!;
    const hi = t.pfnHi[node]!;
    if (node === this.cached32Node || (hi < this.dma32bitPfn && lo >= t.pfnLo[this.cached32Node]!)) {
      this.cached32Node = t.next(node);
    }
    if (lo < this.dma32bitPfn) this.max32AllocSize = this.dma32bitPfn;
    if (lo >= t.pfnLo[this.cachedNode]!) this.cachedNode = t.next(node);
  }

  /** iova_find_limit(): the lowest node whose range ends at or above limitPfn, to restart a search. */
  private iovaFindLimit(limitPfn: number): number {
    const t = this.tree;
    if (limitPfn > this.dma32bitPfn) return this.anchor;
    let node = t.root;
    while (t.pfnHi[node]! < limitPfn) node = t.right[node]!;
    for (;;) {
      while (t.left[node] !== RB_NIL && t.pfnLo[t.left[node]!]! >= limitPfn) node = t.left[node]!;
      if (t.left[node] === RB_NIL) return node;
      let next = t.left[node]!;
      let found = false;
      while (t.right[next] !== RB_NIL) {
        next = t.right[next]!;
        if (t.pfnLo[next]! >= limitPfn) {
          node = next;
          found = true;
          break;
        }
      }
      if (!found) return node;
    }
  }

  /**
   * __alloc_and_insert_iova_range(): top-down search below `limitPfn` (exclusive) for `size`
   * free PFNs, aligned to the size rounded up to a power of two when `sizeAligned`. Returns the
   * new node, or RB_NIL when the space below the limit is exhausted.
   */
  private allocAndInsertIovaRange(size: number, limitPfn: number, sizeAligned: boolean): number {
    const t = this.tree;
    const align = sizeAligned ? 2 ** flsLong(size - 1) : 1;
    let highPfn = limitPfn;
    let lowPfn = this.startPfn;
    if (limitPfn <= this.dma32bitPfn && size >= this.max32AllocSize) return RB_NIL;
    let curr = this.getCachedRbnode(limitPfn);
    const retryPfn = t.pfnHi[curr]!;
    let retried = false;
    for (;;) {
      let newPfn: number;
      do {
        highPfn = Math.min(highPfn, t.pfnLo[curr]!);
        newPfn = Math.floor((highPfn - size) / align) * align;
        curr = t.prev(curr);
        this.stats.rbNodesVisited++;
      } while (curr !== RB_NIL && newPfn <= t.pfnHi[curr]! && newPfn >= lowPfn);
      if (highPfn < size || newPfn < lowPfn) {
        if (!retried && lowPfn === this.startPfn && retryPfn < limitPfn) {
          retried = true;
          highPfn = limitPfn;
          lowPfn = retryPfn + 1;
          curr = this.iovaFindLimit(limitPfn);
          continue;
        }
        this.max32AllocSize = size;
        return RB_NIL;
      }
      // Linux starts the insertion walk at the last node visited; the leaf position is the same.
      const node = t.insert(newPfn, newPfn + size - 1);
      this.cachedRbnodeInsertUpdate(node);
      return node;
    }
  }

  /**
   * alloc_iova(): `size` PFNs at or below `limitPfn` (inclusive, as the kernel's argument).
   * Returns the first PFN of the new range or 0 on failure.
   */
  allocIova(size: number, limitPfn: number, sizeAligned: boolean): number {
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new CoreError('INVALID_ARGUMENT', `IOVA size ${size} pages`, { size });
    }
    const node = this.allocAndInsertIovaRange(size, limitPfn + 1, sizeAligned);
    if (node === RB_NIL) {
      this.stats.rbAllocFailures++;
      return 0;
    }
    this.stats.rbAllocs++;
    return this.tree.pfnLo[node]!;
  }

  /** find_iova(): node containing `pfn`, or RB_NIL. */
  findIova(pfn: number): number {
    return this.tree.find(pfn);
  }

  /** remove_iova() */
  removeIova(node: number): void {
    this.cachedRbnodeDeleteUpdate(node);
    this.tree.erase(node);
  }

  /** free_iova(): frees the range containing `pfn`; a PFN not allocated is a caller bug (typed error). */
  freeIova(pfn: number): void {
    const node = this.tree.find(pfn);
    if (node === RB_NIL || node === this.anchor) {
      throw new CoreError('NOT_MAPPED', `free_iova: pfn 0x${pfn.toString(16)} is not allocated`, { pfn });
    }
    this.stats.rbFrees++;
    this.removeIova(node);
  }

  /**
   * reserve_iova(): marks [pfnLo, pfnHi] as allocated forever (MSI window, RMRRs, host-bridge
   * windows), merging with ranges it overlaps as __adjust_overlap_range does.
   */
  reserveIova(pfnLo: number, pfnHi: number): void {
    const t = this.tree;
    if (pfnHi < pfnLo || pfnHi >= IOVA_ANCHOR_PFN) {
      throw new CoreError('OUT_OF_RANGE', `reserve_iova [0x${pfnLo.toString(16)}, 0x${pfnHi.toString(16)}]`, {
        pfnLo,
        pfnHi,
      });
    }
    let overlap = false;
    for (let n = t.first(); n !== RB_NIL; n = t.next(n)) {
      if (n !== this.anchor && t.pfnLo[n]! <= pfnHi && pfnLo <= t.pfnHi[n]!) {
        if (pfnLo < t.pfnLo[n]!) t.pfnLo[n] = pfnLo;
        if (pfnHi > t.pfnHi[n]!) pfnLo = t.pfnHi[n]! + 1;
        if (pfnLo >= t.pfnLo[n]! && pfnHi <= t.pfnHi[n]!) return;
        overlap = true;
      } else if (overlap) break;
    }
    t.insert(pfnLo, pfnHi);
  }

  /** Allocated ranges in ascending order, anchor excluded (tests, reports; O(n)). */
  ranges(): Array<{ pfnLo: number; pfnHi: number }> {
    const out: Array<{ pfnLo: number; pfnHi: number }> = [];
    const t = this.tree;
    for (let n = t.first(); n !== RB_NIL; n = t.next(n)) {
      if (n !== this.anchor) out.push({ pfnLo: t.pfnLo[n]!, pfnHi: t.pfnHi[n]! });
    }
    return out;
  }

  iovaPfn(iovaAddr: number): number {
    return Math.floor(iovaAddr / this.granule);
  }
}

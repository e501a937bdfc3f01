// SPDX-License-Identifier: Apache-2.0
// Contracts of the translation caches (implemented in iotlb.ts and friends). Units (VT-d, AMD-Vi)
// use these; the cost model reads their hit/miss counters.

export type ReplacementPolicy = 'lru' | 'fifo' | 'random';

export interface IotlbGeometry {
  /** Total entries (sets * ways). Real IOTLB sizes are not published (facts sheet §7): a parameter. */
  entries: number;
  ways: number;
  replacement: ReplacementPolicy;
}

/** Default geometry: 64 sets x 8 ways = 512 entries, LRU (an assumption; see docs/model.md). */
export const DEFAULT_IOTLB_GEOMETRY: IotlbGeometry = { entries: 512, ways: 8, replacement: 'lru' };

/**
 * IOTLB: tagged by domain id (VT-d DID / AMD DomainID), PASID (0 when none) and page size; maps an
 * input page to an output page with permissions. Lookup must not allocate.
 */
export interface IotlbLike {
  /** Returns the output address (page base + offset) or -1 on miss; perm of the hit in lastPerm. */
  lookup(domainId: number, pasid: number, iova: number): number;
  readonly lastPerm: number;
  readonly lastSizeLg2: number;
  insert(domainId: number, pasid: number, iova: number, pa: number, sizeLg2: number, perm: number): void;
  invalidateAll(): number;
  invalidateDomain(domainId: number): number;
  /** Invalidates entries of domain (and PASID, or any PASID when pasid < 0) overlapping [iova, iova+2^sizeLg2). */
  invalidateRange(domainId: number, pasid: number, iova: number, sizeLg2: number): number;
  readonly hits: number;
  readonly misses: number;
}

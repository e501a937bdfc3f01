// SPDX-License-Identifier: Apache-2.0
// The paging-structure cache's sets: direct-mapped (one way) as VT-d and AMD-Vi use it, and
// set-associative with round-robin fills as the SMMUv3 walk caches use it, where several domains'
// entries for the same PFN share a set.

import { describe, expect, it } from 'vitest';
import { isCoreError } from '../errors';
import { PagingStructureCache } from './paging-structure-cache';

// The 4 KiB page number where every domain's IOVA allocator starts (top down below 4 GiB).
const PFN = 0xffff_f000 / 4096;
const LEVEL = 2; // entries pointing at leaf tables (2 MiB each with 4 KiB tables)

describe('PagingStructureCache', () => {
  it('direct-mapped: two domains caching the same PFN evict each other', () => {
    const c = new PagingStructureCache(4, 32);
    c.insert(1, PFN, LEVEL, 0x1000, 3);
    c.insert(2, PFN, LEVEL, 0x2000, 3);
    expect([c.lookup(1, PFN, LEVEL), c.lookup(2, PFN, LEVEL)]).toEqual([-1, 0x2000]);
  });

  it('set-associative: domains share a set until its ways are used, then fills replace round-robin', () => {
    const c = new PagingStructureCache(4, 256, 12, 4);
    for (let d = 1; d <= 4; d++) c.insert(d, PFN, LEVEL, d * 0x1000, 3);
    expect([1, 2, 3, 4].map((d) => c.lookup(d, PFN, LEVEL))).toEqual([0x1000, 0x2000, 0x3000, 0x4000]);
    // A full set: the victims go round the ways (use does not protect an entry, unlike LRU).
    c.insert(5, PFN, LEVEL, 0x5000, 3);
    expect([1, 5].map((d) => c.lookup(d, PFN, LEVEL))).toEqual([-1, 0x5000]);
    c.insert(6, PFN, LEVEL, 0x6000, 3);
    expect([2, 3, 6].map((d) => c.lookup(d, PFN, LEVEL))).toEqual([-1, 0x3000, 0x6000]);
    c.insert(3, PFN, LEVEL, 0x9000, 3); // a refill of a cached entry replaces it in place
    expect([c.lookup(3, PFN, LEVEL), c.lookup(4, PFN, LEVEL)]).toEqual([0x9000, 0x4000]);
    c.invalidateDomain(4); // an invalid way is filled before the round-robin victim (domain 3's)
    c.insert(7, PFN, LEVEL, 0x7000, 3);
    expect([3, 4, 7].map((d) => c.lookup(d, PFN, LEVEL))).toEqual([0x9000, -1, 0x7000]);
  });

  it('refuses entries that do not split into its ways', () => {
    let err: unknown;
    try {
      new PagingStructureCache(4, 30, 12, 4);
    } catch (e) {
      err = e;
    }
    expect(isCoreError(err) && err.code).toBe('INVALID_ARGUMENT');
  });
});

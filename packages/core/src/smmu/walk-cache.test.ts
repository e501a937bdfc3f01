// SPDX-License-Identifier: Apache-2.0
// The SMMU's walk caches serve every domain of the unit: four masters with a domain each, whose
// IOVA allocators hand out the same addresses, keep their walk-cache entries side by side (entries
// are tagged by ASID, IHI 0070 §16.2), so once warm a TLB miss reads only the leaf descriptor.
// With one way per set (the VT-d/AMD-Vi shape) the four evict each other and every miss walks from
// the root.

import { describe, expect, it } from 'vitest';
import { newTranslationOut } from '../iommu/translation';
import { PhysMemory } from '../memory/phys-memory';
import { PERM_RW } from '../page-table/format';
import { DEFAULT_SMMUV3_PARAMS, type SmmuV3Params } from './registers';
import { SmmuV3Unit } from './unit';

const IOVA = 0xfff0_0000; // the top of the 32-bit IOVA space, where dma-iommu allocates first
const PAGES = 64;

/** Mean descriptor reads per TLB miss when four domains take turns missing on fresh pages. */
function readsPerMiss(params: Partial<SmmuV3Params>): number {
  const unit = new SmmuV3Unit({ mem: new PhysMemory(), params });
  const sids = [0x300, 0x400, 0x500, 0x600];
  for (const sid of sids) {
    const d = unit.createDomain('dma');
    d.map(IOVA, 0x8000_0000 + sid * 0x10_0000, PAGES * 4096, PERM_RW);
    unit.attachDevice(sid, d);
  }
  const out = newTranslationOut();
  let reads = 0;
  let misses = 0;
  for (let p = 0; p < PAGES; p++) {
    for (const sourceId of sids) {
      unit.translate({ sourceId, segment: 0, address: IOVA + p * 4096, write: true, pasid: -1 }, out);
      expect(out.ok).toBe(true);
      if (!out.iotlbHit && p > 0) {
        reads += out.memReads;
        misses++;
      }
    }
  }
  return reads / misses;
}

describe('SMMUv3 walk caches shared by the unit’s domains', () => {
  it('let four domains at the same IOVAs walk from the leaf table (one read per miss)', () => {
    expect(DEFAULT_SMMUV3_PARAMS.walkCacheWays).toBeGreaterThanOrEqual(4);
    expect(readsPerMiss({})).toBe(1);
  });

  it('would make every miss a full walk with one way per set', () => {
    expect(readsPerMiss({ walkCacheWays: 1 })).toBe(4);
  });
});

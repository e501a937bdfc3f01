// SPDX-License-Identifier: Apache-2.0
// The translator's StreamID index of translating configurations (translate.ts, the hot path):
// a cached STE keeps being used through it until a configuration invalidation drops it — each
// kind (CFGI_STE, CFGI_STE_RANGE, CFGI_CD of SubstreamID 0, CFGI_ALL) — exactly as the
// configuration cache itself.

import { describe, expect, it } from 'vitest';
import { newTranslationOut } from '../iommu/translation';
import { PhysMemory } from '../memory/phys-memory';
import { PERM_RW } from '../page-table/format';
import { HW_CONTEXT_CACHE_HIT, HW_CONTEXT_CACHE_MISS } from '../stats/hw-counters';
import type { SmmuTranslator } from './translate';
import { SmmuV3Unit } from './unit';

const SID = 0x0100;

describe('SMMUv3 configuration index', () => {
  it.each([
    ['CFGI_STE', (t: SmmuTranslator) => t.invalidateStream(SID)],
    ['CFGI_STE_RANGE', (t: SmmuTranslator) => t.invalidateStreams(SID - 8, 16)],
    ['CFGI_CD (SSID 0)', (t: SmmuTranslator) => t.invalidateCd(SID, 0)],
    ['CFGI_ALL', (t: SmmuTranslator) => t.invalidateAll()],
  ])('translates through a cached STE until %s, then refetches it', (_name, invalidate) => {
    const unit = new SmmuV3Unit({ mem: new PhysMemory() });
    const out = newTranslationOut();
    const d = unit.createDomain('dma');
    d.map(0x1000, 0x5000, 0x1000, PERM_RW);
    unit.attachDevice(SID, d);
    unit.attachDevice(SID + 1, 'passthrough');
    const tr = (sid: number) => {
      unit.translate({ sourceId: sid, segment: 0, address: 0x1000, write: false, pasid: -1 }, out);
      return out;
    };
    tr(SID);
    expect(tr(SID)).toMatchObject({ ok: true, pa: 0x5000, iotlbHit: true, memReads: 0 });
    unit.streams.write(SID, BigInt(1 | (1 << 1))); // V with a reserved Config (0b001), behind the SMMU's back
    const [hits, misses] = [unit.counters.c[HW_CONTEXT_CACHE_HIT]!, unit.counters.c[HW_CONTEXT_CACHE_MISS]!];
    expect(tr(SID)).toMatchObject({ ok: true, pa: 0x5000, iotlbHit: true }); // still the cached STE
    expect(tr(SID + 1)).toMatchObject({ ok: true, pa: 0x1000 }); // bypass: not indexed, from the cache
    expect(unit.counters.c[HW_CONTEXT_CACHE_HIT]).toBe(hits + 2);
    invalidate(unit.translator);
    expect(tr(SID).fault?.reasonText).toBe('C_BAD_STE');
    expect(unit.counters.c[HW_CONTEXT_CACHE_MISS]).toBe(misses + 1);
  });

  it('serves SubstreamIDs and StreamIDs beyond the index from the configuration cache', () => {
    const unit = new SmmuV3Unit({ mem: new PhysMemory() });
    const out = newTranslationOut();
    const d = unit.createDomain('dma');
    d.map(0x1000, 0x5000, 0x1000, PERM_RW);
    unit.attachDevice(SID, d);
    unit.translate({ sourceId: SID, segment: 0, address: 0x1000, write: false, pasid: -1 }, out);
    expect(out).toMatchObject({ ok: true, pa: 0x5000 });
    unit.translate({ sourceId: 0x1_0000, segment: 0, address: 0x1000, write: false, pasid: -1 }, out);
    expect(out.ok).toBe(false); // no STE for it: a fault, cached as such
    expect(unit.translator.cachedConfigs).toBe(2);
  });
});

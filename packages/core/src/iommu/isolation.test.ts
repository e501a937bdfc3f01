// SPDX-License-Identifier: Apache-2.0
// Property: a device's DMA never reaches memory mapped only in another device's domain, whatever
// the IOTLB holds — the isolation an IOMMU exists for. Checked with real units (VT-d, AMD-Vi,
// SMMUv3), through a small IOTLB so entries are evicted and refetched all the time: two devices in
// two domains, random 4 KiB mappings in each, then 100,000 random reads and writes from either.

import { mulberry32 } from '@iofleet/prng';
import { describe, expect, it } from 'vitest';
import { hpa, iova } from '../addresses';
import { AmdViUnit } from '../amd/unit';
import { type IommuUnit, unitAttachDevice, unitCreateDomain } from '../linux/iommu-api';
import { PhysMemory } from '../memory/phys-memory';
import { PERM_RW } from '../page-table/format';
import { SmmuV3Unit } from '../smmu/unit';
import { HW_IOTLB_HIT } from '../stats/hw-counters';
import { VtdUnit } from '../vtd/unit';
import { newTranslationOut } from './translation';

const SMALL_TLB = { entries: 64, ways: 4, replacement: 'lru' } as const;
const UNITS: [string, () => IommuUnit][] = [
  ['VT-d', () => new VtdUnit({ mem: new PhysMemory(), params: { iotlb: SMALL_TLB } })],
  ['AMD-Vi', () => new AmdViUnit({ mem: new PhysMemory(), params: { iotlb: SMALL_TLB } })],
  ['SMMUv3', () => new SmmuV3Unit({ mem: new PhysMemory(), params: { tlb: SMALL_TLB } })],
];
/** The two devices and the physical ranges their domains map into (disjoint). */
const DEVICES = [
  { sid: 0x0100, paBase: 0x1_0000_0000 },
  { sid: 0x0200, paBase: 0x2_0000_0000 },
] as const;
const IOVA_PAGES = 2048;

describe.each(UNITS)('%s isolation (property)', (_name, makeUnit) => {
  it('100,000 random DMA requests from a device of one domain never reach a page mapped only in the other', () => {
    const unit = makeUnit();
    const rand = mulberry32(4242);
    const domains = DEVICES.map(({ sid }) => {
      const d = unitCreateDomain(unit, 'unmanaged');
      unitAttachDevice(unit, sid, d);
      return d;
    });
    /** Physical pages each domain maps. */
    const mapped = DEVICES.map(() => new Set<number>());
    for (let i = 0; i < 400; i++) {
      const at = iova(Math.floor(rand() * IOVA_PAGES) * 4096);
      const k = rand() < 0.5 ? 0 : 1;
      if (domains[k]!.iovaToPhys(at) >= 0) continue;
      const pa = DEVICES[k]!.paBase + i * 4096;
      domains[k]!.map(at, hpa(pa), 4096, PERM_RW);
      mapped[k]!.add(pa);
    }
    const out = newTranslationOut();
    let ok = 0;
    for (let i = 0; i < 100_000; i++) {
      const k = rand() < 0.5 ? 0 : 1;
      const offset = 8;
      const address = Math.floor(rand() * IOVA_PAGES) * 4096 + offset;
      unit.translate({ sourceId: DEVICES[k]!.sid, segment: 0, address, write: rand() < 0.3, pasid: -1 }, out);
      if (!out.ok) continue;
      ok++;
      const page = out.pa - offset;
      if (!mapped[k]!.has(page)) expect.fail(`device ${k} reached 0x${page.toString(16)}, not its domain's`);
    }
    expect(ok).toBeGreaterThan(5_000);
    expect(unit.counters.c[HW_IOTLB_HIT]).toBeGreaterThan(1_000);
  });
});

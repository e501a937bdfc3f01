// SPDX-License-Identifier: Apache-2.0
// The packed DTE cache (dte-cache.ts): what one Int32 holds for each kind of DTE, that illegal DTEs
// are not cached, and that the unit's hit path uses a cached translating DTE until
// INVALIDATE_DEVTAB_ENTRY or INVALIDATE_IOMMU_ALL drops it.

import { describe, expect, it } from 'vitest';
import { wordField } from '../bits/bitfield';
import { newTranslationOut } from '../iommu/translation';
import { PhysMemory } from '../memory/phys-memory';
import { PERM_RW } from '../page-table/format';
import { HW_CONTEXT_CACHE_HIT, HW_CONTEXT_CACHE_MISS } from '../stats/hw-counters';
import { invDevEntry, invIommuAll } from './commands';
import { blockedDte, DeviceTable, passthroughDte, translatingDte } from './device-table';
import { AmdDteCache, DC_ENTRY } from './dte-cache';
import { AmdViUnit } from './unit';

/** A field of a packed entry, read through the field table (not the constants the unit uses). */
function field(e: number, name: keyof typeof DC_ENTRY): number {
  const f = wordField(DC_ENTRY, name);
  return (e >>> f.shift) & f.mask;
}
const fields = (e: number, names: readonly (keyof typeof DC_ENTRY)[]) => names.map((n) => field(e, n));
const FLAGS = ['CACHED', 'XLATE', 'V', 'TV', 'IR', 'IW'] as const;

const req = (sourceId: number, address: number, write = false) => ({ sourceId, segment: 0, address, write, pasid: -1 });

describe('AMD-Vi DTE cache', () => {
  it('packs V, TV, Mode, IR, IW and the DomainID (all 16 bits) into one Int32, the root beside it', () => {
    const table = new DeviceTable(new PhysMemory());
    const cache = new AmdDteCache(table);
    expect(cache.entry.length).toBe(0); // nothing allocated before the first fill
    table.write(0x10, translatingDte(0x1234_5000, 4, 0xffff));
    expect(cache.load(0x10)).toBe(true);
    const e = cache.entry[0x10]!;
    expect(fields(e, [...FLAGS, 'MODE', 'DID'])).toEqual([1, 1, 1, 1, 1, 1, 4, 0xffff]);
    expect(cache.root[0x10]).toBe(0x1234_5000);
    // Mode 0 (pass-through) and a blocked DTE (IR = IW = 0) are cached but do not go to the IOTLB.
    table.write(0x11, passthroughDte(3));
    table.write(0x12, blockedDte());
    expect([cache.load(0x11), cache.load(0x12), cache.load(0x13)]).toEqual([true, true, true]);
    expect(fields(cache.entry[0x11]!, [...FLAGS, 'MODE', 'DID'])).toEqual([1, 0, 1, 1, 1, 1, 0, 3]);
    expect(fields(cache.entry[0x12]!, FLAGS)).toEqual([1, 0, 1, 1, 0, 0]);
    expect(fields(cache.entry[0x13]!, FLAGS)).toEqual([1, 0, 0, 0, 0, 0]); // never written: V = 0
    // Illegal (Mode 7): not cached, `last` keeps it for the event.
    table.write(0x14, (translatingDte(0x1000, 3, 5) & ~(7n << 9n)) | (7n << 9n));
    expect(cache.load(0x14)).toBe(false);
    expect([cache.entry[0x14], cache.last.domainId, cache.last.mode]).toEqual([0, 5, 7]);
    cache.invalidateDevice(0x10);
    expect(cache.entry[0x10]).toBe(0);
    expect(cache.entry[0x11]).not.toBe(0); // only that DeviceID's
    cache.invalidateAll();
    expect(cache.entry.every((x) => x === 0)).toBe(true);
  });

  it.each([
    ['INVALIDATE_DEVTAB_ENTRY', invDevEntry(0x0100)],
    ['INVALIDATE_IOMMU_ALL', invIommuAll()],
  ])('translates through a cached translating DTE until %s drops it', (_name, cmd) => {
    const unit = new AmdViUnit({ mem: new PhysMemory() });
    const out = newTranslationOut();
    const a = unit.createDomain();
    const b = unit.createDomain();
    a.map(0x1000, 0xa000, 0x1000, PERM_RW);
    b.map(0x1000, 0xb000, 0x1000, PERM_RW);
    unit.attachDevice(0x0100, a);
    unit.translate(req(0x0100, 0x1000), out);
    unit.translate(req(0x0100, 0x1000), out);
    expect(out).toMatchObject({ ok: true, pa: 0xa000, iotlbHit: true, memReads: 0 });
    // The DTE rewritten behind the IOMMU's back: the cached one (domain a) stays in use.
    unit.devTable.write(0x0100, translatingDte(b.pt.rootPa, unit.params.mode, b.domainId));
    unit.translate(req(0x0100, 0x1000, true), out);
    expect(out).toMatchObject({ ok: true, pa: 0xa000, iotlbHit: true });
    const misses = unit.counters.c[HW_CONTEXT_CACHE_MISS]!;
    const hits = unit.counters.c[HW_CONTEXT_CACHE_HIT]!;
    unit.submit([cmd]);
    unit.translate(req(0x0100, 0x1000), out);
    expect(out).toMatchObject({ ok: true, pa: 0xb000, iotlbHit: false });
    expect(out.memReads).toBeGreaterThan(1); // the DTE, then the walk of b's table
    expect([unit.counters.c[HW_CONTEXT_CACHE_MISS], unit.counters.c[HW_CONTEXT_CACHE_HIT]]).toEqual([misses + 1, hits]);
  });
});

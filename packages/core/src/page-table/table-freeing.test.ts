// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { PhysMemory } from '../memory/phys-memory';
import { PERM_RW } from './format';
import { PageTable } from './page-table';
import { vtdSecondStageFormat } from './vtd-second-stage';

const fmt = () => vtdSecondStageFormat({ widthBits: 48, superpages: { '2M': false, '1G': false } });

describe("Linux's table freeing ('covered')", () => {
  it('keeps a table emptied by a small unmap, and frees tables a covering unmap spans', () => {
    const mem = new PhysMemory();
    const pt = new PageTable(mem, fmt(), undefined, 'covered');
    pt.map(0x1000, 0x9000, 4096, PERM_RW);
    expect(pt.tablePages).toBe(4);
    expect(pt.unmap(0x1000, 4096)).toBe(4096);
    expect(pt.lastFreedTablePages).toBe(0); // the level-1 table stays (not fully covered)
    expect(pt.tablePages).toBe(4);
    pt.map(0, 0x100_0000, 0x20_0000, PERM_RW); // 512 pages: the whole level-1 table, same tables
    expect(pt.tablePages).toBe(4);
    expect(pt.unmap(0, 0x20_0000)).toBe(0x20_0000); // covers the level-1 table's whole span
    expect(pt.lastFreedTablePages).toBe(1);
    expect(pt.tablePages).toBe(3);
    expect(pt.iovaToPhys(0x2000)).toBe(-1);
  });

  it('replaces an emptied lower table with a superpage, and hands the old table to the flush', () => {
    // VT-d switch_to_super_page() / AMD v1 free_clear_pte(): a 2 MiB map over the span of a kept,
    // emptied level-1 table unlinks it (it must not be freed before the IOTLB flush) and maps.
    const mem = new PhysMemory();
    const pt = new PageTable(
      mem,
      vtdSecondStageFormat({ widthBits: 48, superpages: { '2M': true, '1G': true } }),
      undefined,
      'covered',
    );
    pt.map(0x20_1000, 0x9000, 4096, PERM_RW);
    pt.unmap(0x20_1000, 4096); // the level-1 table under 0x200000 stays, empty
    expect(pt.tablePages).toBe(4);
    pt.map(0x20_0000, 0x4000_0000, 0x20_0000, PERM_RW);
    expect(pt.lastReplacedTablePages).toBe(1);
    expect(pt.tablePages).toBe(3);
    expect(pt.iovaToPhys(0x20_1234)).toBe(0x4000_1234);
    expect(pt.takeFreelist()).toHaveLength(1);
    // A table that still maps something is an overlap, as before.
    pt.map(0x40_1000, 0x9000, 4096, PERM_RW);
    expect(() => pt.map(0x40_0000, 0x8000_0000, 0x20_0000, PERM_RW)).toThrow(/overlaps an existing mapping/);
    expect(pt.iovaToPhys(0x40_1000)).toBe(0x9000);
  });

  it("the default frees at once (the conformance suite's model)", () => {
    const pt = new PageTable(new PhysMemory(), fmt());
    pt.map(0x1000, 0x9000, 4096, PERM_RW);
    pt.unmap(0x1000, 4096);
    expect(pt.tablePages).toBe(1);
  });
});

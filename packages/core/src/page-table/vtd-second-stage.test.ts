// SPDX-License-Identifier: Apache-2.0
// Golden entries for VT-d second-stage tables, derived by hand from §9.8 (facts sheet §1.6):
// R bit 0, W bit 1, PS bit 7, SNP bit 11, address 51:12; tables come from a fresh PhysMemory, whose
// pool starts at pfn 0x10000, so the root is 0x1000_0000 and the next tables follow it.

import { describe, expect, it } from 'vitest';
import { formatHarness } from '../testing/format-harness';
import { PERM_READ, PERM_RW, PERM_WRITE, WALK_NOT_PRESENT, WALK_OK, WALK_PERMISSION, WALK_RESERVED } from './format';
import { type VtdSecondStageOptions, vtdSecondStageFormat } from './vtd-second-stage';

const BOTH = { '2M': true, '1G': true };

function setup(opts: VtdSecondStageOptions = { widthBits: 48, superpages: BOTH }) {
  return formatHarness(vtdSecondStageFormat(opts));
}

function walkStatus(s: ReturnType<typeof setup>, iova: number, access: number) {
  const out = s.walk(iova, access);
  return [out.status, out.level];
}

describe('VT-d second-stage format', () => {
  it('has 3, 4 or 5 levels for 39, 48 and 57 bits (levels = agaw + 2)', () => {
    for (const [widthBits, levels] of [
      [39, 3],
      [48, 4],
      [57, 5],
    ] as const) {
      const fmt = vtdSecondStageFormat({ widthBits, superpages: BOTH });
      expect([fmt.levels, fmt.inputWidth, fmt.name]).toEqual([levels, widthBits, `vtd-ss-${widthBits}`]);
    }
    expect(() => vtdSecondStageFormat({ widthBits: 40 as 39, superpages: BOTH })).toThrow(/not 39, 48 or 57/);
  });

  it('offers 2 MiB at level 2 and 1 GiB at level 3 only when SLLPS says so', () => {
    const fmt = vtdSecondStageFormat({ widthBits: 48, superpages: BOTH });
    expect([1, 2, 3, 4].map((l) => fmt.leafSizesLg2(l))).toEqual([[12], [21], [30], []]);
    const none = vtdSecondStageFormat({ widthBits: 48, superpages: { '2M': false, '1G': false } });
    expect([1, 2, 3, 4].map((l) => none.leafSizesLg2(l))).toEqual([[12], [], [], []]);
  });

  it('writes a 2 MiB RW leaf at 0x40200000 as 0x0000000040200083 under R|W table entries', () => {
    const s = setup();
    s.pt.map(0x4020_0000, 0x4020_0000, 0x20_0000, PERM_RW);
    expect(s.mem.readU64(0x1000_0000)).toBe(0x1000_1003n); // L4[0] -> L3 table
    expect(s.mem.readU64(0x1000_1000 + 8 * 1)).toBe(0x1000_2003n); // L3[1] -> L2 table
    expect(s.mem.readU64(0x1000_2000 + 8 * 1)).toBe(0x4020_0083n); // L2[1]: PS | W | R
  });

  it('writes 1 GiB and 4 KiB leaves, SNP when snooping, and W-only as W', () => {
    const s = setup({ widthBits: 39, superpages: BOTH, snoopControl: true, forceSnooping: true });
    s.pt.map(0xc000_0000, 0x8000_0000, 0x4000_0000, PERM_RW);
    expect(s.mem.readU64(0x1000_0000 + 8 * 3)).toBe(0x8000_0883n);
    s.pt.map(0x1000, 0x1234_5000, 0x1000, PERM_READ);
    s.pt.map(0x2000, 0x1234_6000, 0x1000, PERM_WRITE);
    expect(s.mem.readU64(0x1000_2000 + 8 * 1)).toBe(0x1234_5801n);
    expect(s.mem.readU64(0x1000_2000 + 8 * 2)).toBe(0x1234_6802n);
    expect(walkStatus(s, 0x2000, PERM_READ)).toEqual([WALK_PERMISSION, 1]);
    expect(walkStatus(s, 0x2000, PERM_WRITE)).toEqual([WALK_OK, 1]);
  });

  it('has no present bit: an entry is present when R or W is set', () => {
    const s = setup();
    s.pt.map(0x1000, 0x5000, 0x1000, PERM_RW);
    s.mem.writeU64(0x1000_3000 + 8, 0x5880n); // address, PS... but neither R nor W
    expect(walkStatus(s, 0x1000, 0)).toEqual([WALK_NOT_PRESENT, 1]);
  });

  it.each([
    ['bits 6:2 in a leaf', 0x1000_3000 + 8, 0x5007n, 1],
    ['PS in a level-1 entry', 0x1000_3000 + 8, 0x5083n, 1],
    ['SNP without ECAP.SC', 0x1000_3000 + 8, 0x5803n, 1],
    ['TM (bit 62)', 0x1000_3000 + 8, 0x4000_0000_0000_5003n, 1],
    ['PS in a level-4 entry', 0x1000_0000, 0x1000_1083n, 4],
    ['a 2 MiB leaf with address bit 12 set', 0x1000_2000, 0x1000_1083n, 2],
  ])('faults on reserved bits: %s', (_what, pa, entry, level) => {
    const s = setup();
    s.pt.map(0x1000, 0x5000, 0x1000, PERM_RW);
    s.mem.writeU64(pa, entry);
    expect(walkStatus(s, 0x1000, PERM_READ)).toEqual([WALK_RESERVED, level]);
  });

  it('takes SNP in a leaf as a field when the unit has snoop control (ECAP.SC), never in a table entry', () => {
    const sc = setup({ widthBits: 48, superpages: BOTH, snoopControl: true });
    sc.pt.map(0x1000, 0x5000, 0x1000, PERM_RW);
    sc.pt.map(0x4000_0000, 0x8000_0000, 0x20_0000, PERM_RW);
    expect(sc.mem.readU64(0x1000_3000 + 8)).toBe(0x5003n); // Linux sets SNP only when force-snooping
    sc.mem.writeU64(0x1000_3000 + 8, 0x5803n); // 4 KiB PTE with SNP
    expect(walkStatus(sc, 0x1000, PERM_READ)).toEqual([WALK_OK, 1]);
    expect(sc.mem.readU64(0x1000_4000)).toBe(0x8000_0083n); // the 2 MiB leaf (L3[1] -> L2 at 0x10004000)
    sc.mem.writeU64(0x1000_4000, 0x8000_0883n); // 2 MiB leaf with SNP
    expect(walkStatus(sc, 0x4000_0000, PERM_READ)).toEqual([WALK_OK, 2]);
    sc.mem.writeU64(0x1000_0000, 0x1000_1803n); // SL-PML4E with SNP: reserved (QEMU vtd_spte_rsvd[4])
    expect(walkStatus(sc, 0x1000, PERM_READ)).toEqual([WALK_RESERVED, 4]);
    expect(() => vtdSecondStageFormat({ widthBits: 48, superpages: BOTH, forceSnooping: true })).toThrow(/ECAP.SC/);
  });

  it('treats PS as reserved at a level whose superpage the unit lacks', () => {
    const s = setup({ widthBits: 48, superpages: { '2M': false, '1G': true } });
    s.pt.map(0x1000, 0x5000, 0x1000, PERM_RW);
    s.mem.writeU64(0x1000_2000, 0x4000_0083n); // L2[0] as a 2 MiB leaf
    expect(walkStatus(s, 0x1000, PERM_READ)).toEqual([WALK_RESERVED, 2]);
  });
});

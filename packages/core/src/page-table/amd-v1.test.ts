// SPDX-License-Identifier: Apache-2.0
// Golden entries for AMD-Vi v1 tables, derived by hand from the spec's PTE/PDE table (facts sheet
// §2.3): PR 0, NL 11:9, address 51:12, FC 60, IR 61, IW 62; Linux PDE = PR | NL=level-1 | IR | IW;
// an NL=7 page of 2^s bytes carries ones in address bits s-2..12. The pool starts at 0x1000_0000.

import { describe, expect, it } from 'vitest';
import { formatHarness } from '../testing/format-harness';
import { type AmdV1Options, amdV1Format } from './amd-v1';
import { PERM_READ, PERM_RW, PERM_WRITE, WALK_OK, WALK_PERMISSION, WALK_RESERVED, WALK_SKIP_NONZERO } from './format';
import { pageSizesLg2 } from './level-math';

function setup(opts: AmdV1Options = { mode: 3 }) {
  return formatHarness(amdV1Format(opts));
}

const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

describe('AMD-Vi v1 format', () => {
  it('covers 2^(12+9*mode) bytes, capped at 64 bits', () => {
    expect([1, 2, 3, 4, 5, 6].map((mode) => amdV1Format({ mode }).inputWidth)).toEqual([21, 30, 39, 48, 57, 64]);
    expect(() => amdV1Format({ mode: 7 })).toThrow(/not 1..6/);
  });

  it('offers every power of two from 4 KiB except 512 GiB, up to 2^51, none at level 6', () => {
    expect(pageSizesLg2(amdV1Format({ mode: 4 }))).toEqual(range(12, 47).filter((s) => s !== 39));
    expect(pageSizesLg2(amdV1Format({ mode: 6 }))).toEqual(range(12, 51).filter((s) => s !== 39));
    expect(amdV1Format({ mode: 6 }).leafSizesLg2(6)).toEqual([]);
    expect(pageSizesLg2(amdV1Format({ mode: 4, pageSizes: '4k-2m-1g' }))).toEqual([12, 21, 30]);
    expect(pageSizesLg2(amdV1Format({ mode: 4, pageSizes: '4k' }))).toEqual([12]);
  });

  it('writes PDEs as PR | NL=level-1 | IR | IW and a 4 KiB leaf with NL=0', () => {
    const s = setup();
    s.pt.map(0, 0x5000, 0x1000, PERM_RW);
    expect(s.mem.readU64(0x1000_0000)).toBe(0x6000_0000_1000_1401n); // L3 PDE, NL=2
    expect(s.mem.readU64(0x1000_1000)).toBe(0x6000_0000_1000_2201n); // L2 PDE, NL=1
    expect(s.mem.readU64(0x1000_2000)).toBe(0x6000_0000_0000_5001n);
  });

  it('writes a 64 KiB page as 16 copies with NL=7 and the size in the address bits', () => {
    const s = setup();
    s.pt.map(0x1_0000, 0x3_0000, 0x1_0000, PERM_RW);
    const l1 = 0x1000_2000;
    for (let i = 16; i < 32; i++) expect(s.mem.readU64(l1 + 8 * i)).toBe(0x6000_0000_0003_7e01n);
    expect([s.mem.readU64(l1 + 8 * 15), s.mem.readU64(l1 + 8 * 32)]).toEqual([0n, 0n]);
    const out = s.walk(0x1_fabc, PERM_RW);
    expect([out.status, out.pa, out.sizeLg2]).toEqual([WALK_OK, 0x3_fabc, 16]);
  });

  it('writes a 4 MiB page as 2 level-2 copies, a read-only 2 MiB page with NL=0, and FC on request', () => {
    const s = setup({ mode: 3, forceCoherent: true });
    s.pt.map(0x40_0000, 0x80_0000, 0x40_0000, PERM_RW);
    s.pt.map(0x4020_0000, 0x4020_0000, 0x20_0000, PERM_READ);
    expect(s.mem.readU64(0x1000_1000 + 16)).toBe(0x7000_0000_009f_fe01n);
    expect(s.mem.readU64(0x1000_1000 + 24)).toBe(0x7000_0000_009f_fe01n);
    expect(s.mem.readU64(0x1000_2000 + 8)).toBe(0x3000_0000_4020_0001n);
  });

  it('skips levels when a PDE names a lower NL, faulting when skipped index bits are set', () => {
    const s = setup({ mode: 4 });
    const l2 = s.mem.allocTablePage();
    s.mem.writeU64(s.pt.rootPa, 0x6000_0000_0000_0401n + BigInt(l2)); // L4[0]: NL=2, skips level 3
    s.mem.writeU64(l2 + 8, 0x6000_0000_4000_0001n); // L2[1]: 2 MiB leaf at 0x4000_0000
    const ok = s.walk(0x20_0123, PERM_RW);
    expect([ok.status, ok.pa, ok.levelsRead, ok.level]).toEqual([WALK_OK, 0x4000_0123, 2, 2]);
    const skipped = s.walk(0x4020_0123, PERM_RW); // bit 30 indexes the skipped level 3
    expect([skipped.status, skipped.level]).toEqual([WALK_SKIP_NONZERO, 4]);
  });

  it('ANDs IR/IW over the walk', () => {
    const s = setup();
    s.pt.map(0, 0x5000, 0x1000, PERM_RW);
    s.mem.writeU64(0x1000_0000, 0x2000_0000_1000_1401n); // root PDE with IR only
    expect(s.walk(0x10, PERM_WRITE).status).toBe(WALK_PERMISSION);
    expect(s.walk(0x10, PERM_READ).status).toBe(WALK_OK);
  });

  it.each([
    ['bits 58:52', 0x1000_2000, 0x6010_0000_0000_5001n, 1],
    ['a PDE whose NL is not below its level', 0x1000_0000, 0x6000_0000_1000_1601n, 3],
    ['NL=1..6 at level 1', 0x1000_2000, 0x6000_0000_0000_5201n, 1],
    ['an NL=7 size too large for level 1 (2 MiB)', 0x1000_2000, 0x6000_0000_000f_fe01n, 1],
  ])('faults on %s', (_what, pa, entry, level) => {
    const s = setup();
    s.pt.map(0, 0x5000, 0x1000, PERM_RW);
    s.mem.writeU64(pa, entry);
    const out = s.walk(0, PERM_READ);
    expect([out.status, out.level]).toEqual([WALK_RESERVED, level]);
  });

  it('has no leaves at level 6', () => {
    const s = setup({ mode: 6 });
    s.mem.writeU64(s.pt.rootPa, 0x6000_0000_0000_0001n);
    expect(s.walk(0, PERM_READ).status).toBe(WALK_RESERVED);
  });
});

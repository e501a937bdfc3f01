// SPDX-License-Identifier: Apache-2.0
// Golden entries for VT-d first-stage (IA-32e) tables, derived by hand from the SDM bit table:
// P 0, R/W 1, U/S 2, A 5, D 6, PS 7, address 51:12. Linux sets U|A on leaves, R/W|D when writable,
// and P|R/W|U|A on table entries. The pool of a fresh PhysMemory starts at 0x1000_0000.

import { describe, expect, it } from 'vitest';
import { formatHarness } from '../testing/format-harness';
import {
  PERM_READ,
  PERM_RW,
  PERM_WRITE,
  WALK_BEYOND_WIDTH,
  WALK_NOT_PRESENT,
  WALK_OK,
  WALK_PERMISSION,
  WALK_RESERVED,
} from './format';
import { type VtdFirstStageOptions, vtdFirstStageFormat } from './vtd-first-stage';

function setup(opts: VtdFirstStageOptions = { levels: 4, pages1G: true }) {
  return formatHarness(vtdFirstStageFormat(opts));
}

describe('VT-d first-stage format', () => {
  it('covers the lower canonical half: 47 bits with 4 levels, 56 with 5', () => {
    expect([vtdFirstStageFormat({ levels: 4 }).inputWidth, vtdFirstStageFormat({ levels: 5 }).inputWidth]).toEqual([
      47, 56,
    ]);
    const s = setup();
    expect(s.walk(2 ** 47, 0).status).toBe(WALK_BEYOND_WIDTH);
    expect(() => vtdFirstStageFormat({ levels: 3 as 4 })).toThrow(/not 4 or 5/);
  });

  it('offers 1 GiB leaves only with pages1G', () => {
    expect([1, 2, 3, 4].map((l) => vtdFirstStageFormat({ levels: 4 }).leafSizesLg2(l))).toEqual([[12], [21], [], []]);
    expect(vtdFirstStageFormat({ levels: 4, pages1G: true }).leafSizesLg2(3)).toEqual([30]);
  });

  it('writes 4 KiB leaves as P|U|A (+R/W|D) under P|R/W|U|A tables', () => {
    const s = setup();
    s.pt.map(0x1000, 0x5000, 0x1000, PERM_RW);
    s.pt.map(0x2000, 0x6000, 0x1000, PERM_READ);
    s.pt.map(0x3000, 0x7000, 0x1000, PERM_WRITE); // write-only cannot be expressed: read granted too
    expect(s.mem.readU64(0x1000_0000)).toBe(0x1000_1027n);
    expect(s.mem.readU64(0x1000_1000)).toBe(0x1000_2027n);
    expect(s.mem.readU64(0x1000_2000)).toBe(0x1000_3027n);
    expect(s.mem.readU64(0x1000_3000 + 8)).toBe(0x5067n);
    expect(s.mem.readU64(0x1000_3000 + 16)).toBe(0x6025n);
    expect(s.mem.readU64(0x1000_3000 + 24)).toBe(0x7067n);
    expect(s.walk(0x2000, PERM_WRITE).status).toBe(WALK_PERMISSION);
    expect(s.walk(0x3000, PERM_READ).status).toBe(WALK_OK);
  });

  it('writes 2 MiB and 1 GiB leaves with PS', () => {
    const s = setup();
    s.pt.map(0x4020_0000, 0x4020_0000, 0x20_0000, PERM_RW);
    s.pt.map(0x8000_0000, 0x8000_0000, 0x4000_0000, PERM_READ);
    expect(s.mem.readU64(0x1000_2000 + 8)).toBe(0x4020_00e7n);
    expect(s.mem.readU64(0x1000_1000 + 16)).toBe(0x8000_00a5n);
  });

  it('reads bit 12 of a large leaf as PAT, not as an address bit', () => {
    const s = setup();
    s.pt.map(0x4020_0000, 0x4020_0000, 0x20_0000, PERM_RW);
    s.mem.writeU64(0x1000_2000 + 8, 0x4020_10e7n);
    const out = s.walk(0x4020_0123, PERM_RW);
    expect([out.status, out.pa, out.sizeLg2]).toEqual([WALK_OK, 0x4020_0123, 21]);
  });

  it.each([
    ['address bits 20:13 of a 2 MiB leaf', 0x1000_2000 + 8, 0x4020_20e7n, 2],
    ['PS in a PML4E', 0x1000_0000, 0x1000_10a7n, 4],
  ])('faults on reserved bits: %s', (_what, pa, entry, level) => {
    const s = setup();
    s.pt.map(0x4020_0000, 0x4020_0000, 0x20_0000, PERM_RW);
    s.mem.writeU64(pa, entry);
    const out = s.walk(0x4020_0000, PERM_READ);
    expect([out.status, out.level]).toEqual([WALK_RESERVED, level]);
  });

  it('treats PS in a PDPTE as reserved without 1 GiB pages', () => {
    const s = setup({ levels: 4 });
    s.pt.map(0x1000, 0x5000, 0x1000, PERM_RW);
    s.mem.writeU64(0x1000_1000, 0x4000_00e7n);
    expect(s.walk(0x1000, PERM_READ).status).toBe(WALK_RESERVED);
  });

  it('needs P for presence and R/W at every level for writes', () => {
    const s = setup();
    s.pt.map(0x1000, 0x5000, 0x1000, PERM_RW);
    s.mem.writeU64(0x1000_0000, 0x1000_1025n); // root entry without R/W
    expect(s.walk(0x1000, PERM_WRITE).status).toBe(WALK_PERMISSION);
    expect(s.walk(0x1000, PERM_READ).status).toBe(WALK_OK);
    s.mem.writeU64(0x1000_3000 + 8, 0x5066n); // leaf without P
    expect(s.walk(0x1000, 0).status).toBe(WALK_NOT_PRESENT);
  });
});

// SPDX-License-Identifier: Apache-2.0
// A trivial page-table format for tests (STYLE.md item 3), after Linux
// drivers/iommu/generic_pt/kunit_generic_pt.h, which runs its suite over every format: this one
// follows no specification, so a bug in the shared walker or map/unmap shows up here without the
// quirks of a real format (no PS/NL rules, an explicit valid bit, permissions in their own bits).
//
// | name        | our level | covers  | leaf when |
// |-------------|-----------|---------|-----------|
// | top         | 3         | 512 GiB | never     |
// | middle      | 2         | 2 MiB   | LEAF = 1  |
// | bottom      | 1         | 4 KiB   | always    |

import { bits, type FieldTable, fieldHalves, wordField } from '../bits/bitfield';
import { ENTRY_EMPTY, ENTRY_LEAF, ENTRY_TABLE, type PageTableFormat } from '../page-table/format';
import { FormatDefaults } from '../page-table/format-base';
import { addrHi, addrLo, type MaskHalves, maskedAddress } from '../page-table/level-math';

/** Mock entry layout. */
export const MOCK_PTE = {
  V: [0, 0],
  R: [1, 1],
  W: [2, 2],
  LEAF: [3, 3],
  RSVD_11_4: [11, 4],
  ADDR: [51, 12],
  RSVD_63_52: [63, 52],
} as const satisfies FieldTable;

const { V, LEAF } = bits(MOCK_PTE, 'V', 'LEAF');
const PERM_SHIFT = wordField(MOCK_PTE, 'R').shift;
const ADDR: MaskHalves = fieldHalves(MOCK_PTE, 'ADDR');
const RSVD: MaskHalves = fieldHalves(MOCK_PTE, 'RSVD_11_4', 'RSVD_63_52');

class MockFormat extends FormatDefaults implements PageTableFormat {
  readonly name = 'mock-3';
  readonly spec = 'iofleet mock format (no specification; tests only)';
  readonly levels = 3;
  readonly inputWidth = 39;
  readonly granuleLg2 = 12;
  /** 4 KiB leaves at level 1, 2 MiB at level 2, none at the top. */
  protected override readonly sizes = [[], [12], [21], []];

  entryKind(lo: number, _hi: number, level: number): number {
    if ((lo & V) === 0) return ENTRY_EMPTY;
    return level === 1 || (lo & LEAF) !== 0 ? ENTRY_LEAF : ENTRY_TABLE;
  }
  entryOutputPfn(lo: number, hi: number, level: number): number {
    return this.entryOutputAddress(lo, hi, level) / 4096; // monomorphic here: inlined
  }
  entryOutputAddress(lo: number, hi: number, _level: number): number {
    return maskedAddress(lo, hi, ADDR);
  }
  entryPerm(lo: number, _hi: number, _level: number): number {
    return (lo >>> PERM_SHIFT) & 3;
  }
  hasReservedBits(lo: number, hi: number, level: number): boolean {
    return (lo & RSVD.lo) !== 0 || (hi & RSVD.hi) !== 0 || (level === 3 && (lo & LEAF) !== 0);
  }
  writeLeaf(words: Uint32Array, index: number, pa: number, _sizeLg2: number, perm: number, level: number): void {
    words[2 * index] = (addrLo(pa) | V | ((perm & 3) << PERM_SHIFT) | (level > 1 ? LEAF : 0)) >>> 0;
    words[2 * index + 1] = addrHi(pa);
  }
  writeTable(words: Uint32Array, index: number, tablePa: number, _level: number): void {
    words[2 * index] = (addrLo(tablePa) | V | (3 << PERM_SHIFT)) >>> 0;
    words[2 * index + 1] = addrHi(tablePa);
  }
}

/** The mock format: 3 levels, 39-bit input, 4 KiB and 2 MiB leaves. */
export function mockFormat(): PageTableFormat {
  return new MockFormat();
}

// SPDX-License-Identifier: Apache-2.0
// AMD I/O Virtualization Technology (IOMMU) Specification (pub. 48882, rev. 3.x), §2.2.3 "I/O
// Page Tables for Host Translations" (the v1 table; Table 14 page-size encodings, Table 15 level
// parameters). Facts sheet §2.3; Linux drivers/iommu/generic_pt/fmt/amdv1.h, amd/io_pgtable.c.
//
// | spec name                         | our level | an entry covers | leaves                   |
// |-----------------------------------|-----------|-----------------|--------------------------|
// | Level 6 (mode 6, bits 63:57)      | 6         | 128 PiB         | none (Table 15)          |
// | Level 5 (mode 5)                  | 5         | 256 TiB         | NL=0 / NL=7, 2^48..2^51  |
// | Level 4 (mode 4)                  | 4         | 512 GiB         | NL=0 / NL=7 (not 512 GiB)|
// | Level 3 (mode 3)                  | 3         | 1 GiB           | NL=0 / NL=7, 1G..256G    |
// | Level 2 (mode 2)                  | 2         | 2 MiB           | NL=0 / NL=7, 2M..512M    |
// | Level 1 (mode 1)                  | 1         | 4 KiB           | NL=0 / NL=7, 4K..1M      |
//
// The DTE Mode field (1..6) names the root level. A PDE's Next Level (NL) names the level of the
// table it points to; an NL below level-1 skips levels and the skipped index bits must be zero.
// NL=0 is a leaf of the level's default size; NL=7 a leaf whose size is encoded in the address
// field (ones from bit 12 up to size-2, a zero at size-1) and written 2^(size-levelSize) times.
//
// Departures from hardware, and why:
//  - Addresses are < 2^53 (addresses.ts), so level 6 always indexes entry 0.
//  - A/D (bits 5/6) are not updated by walks: a walk never writes memory.
//  - The DTE's IR/IW are ANDed by the unit, not here: the walk starts with read and write allowed.

import { bits, type FieldTable, fieldHalves, wordField } from '../bits/bitfield';
import { CoreError } from '../errors';
import { ENTRY_EMPTY, ENTRY_LEAF, ENTRY_TABLE, type PageTableFormat } from './format';
import { FormatDefaults } from './format-base';
import { addrHi, addrLo, levelShift, type MaskHalves, maskedAddress, maskedPfn, POW2 } from './level-math';

/** I/O page-table entry (PTE and PDE), bits as the AMD spec prints them. */
export const AMD_V1_PTE = {
  PR: [0, 0],
  IGN_4_1: [4, 1],
  A: [5, 5],
  D: [6, 6],
  IGN_8_7: [8, 7],
  NextLevel: [11, 9],
  ADDR: [51, 12],
  RSVD_58_52: [58, 52],
  U: [59, 59],
  FC: [60, 60],
  IR: [61, 61],
  IW: [62, 62],
  IGN_63: [63, 63],
} as const satisfies FieldTable;

const { PR, IR: IR_HI, IW: IW_HI, FC: FC_HI } = bits(AMD_V1_PTE, 'PR', 'IR', 'IW', 'FC');
const NL_SHIFT = wordField(AMD_V1_PTE, 'NextLevel').shift;
/** NL codes: default-size leaf, and non-default (encoded) size leaf. */
export const AMD_NL_DEFAULT = 0;
export const AMD_NL_SIZE = 7;
const ADDR: MaskHalves = fieldHalves(AMD_V1_PTE, 'ADDR');
const RSVD: MaskHalves = fieldHalves(AMD_V1_PTE, 'RSVD_58_52');
const PERM_SHIFT_HI = wordField(AMD_V1_PTE, 'IR').shift; // IR, IW sit where PERM_READ, PERM_WRITE do, shifted

/** 512 GiB pages are not advertised: hardware bug (Linux AMD_IOMMU_PGSIZES, amdv1pt_possible_sizes). */
const NO_512G_LG2 = 39;
/** Largest page: the address field ends at bit 51 (amdv1pt_possible_sizes caps at 51). */
const MAX_PAGE_LG2 = 51;

export type AmdPageSizes = 'all' | '4k-2m-1g' | '4k';

export interface AmdV1Options {
  /** DTE Mode: the root level, 1..6. */
  mode: number;
  /** 'all' (Linux v1 default), '4k-2m-1g' (amd_iommu=v2_pgsizes_only), '4k' (nohugepages). */
  pageSizes?: AmdPageSizes;
  /** Set FC on leaves (Linux PT_FEAT_AMDV1_FORCE_COHERENCE). */
  forceCoherent?: boolean;
}

/** log2 of the page an NL=7 entry maps: one plus the index of the first zero address bit (PTE_PAGE_SIZE). */
function encodedSizeLg2(lo: number, hi: number): number {
  const zLo = ~lo & ADDR.lo;
  if (zLo !== 0) return 32 - Math.clz32(zLo & -zLo);
  const zHi = ~hi & ADDR.hi;
  if (zHi !== 0) return 64 - Math.clz32(zHi & -zHi);
  return 64; // no zero bit in 51:12: no valid size (reported as reserved)
}

class AmdV1Format extends FormatDefaults implements PageTableFormat {
  readonly name: string;
  readonly spec = 'AMD IOMMU Specification pub. 48882 rev. 3.x, §2.2.3 I/O page tables (v1, host)';
  readonly levels: number;
  readonly inputWidth: number;
  readonly granuleLg2 = 12;
  private readonly fcHi: number;

  constructor(opts: AmdV1Options) {
    super();
    const { mode } = opts;
    if (!Number.isInteger(mode) || mode < 1 || mode > 6) {
      throw new CoreError('INVALID_ARGUMENT', `AMD-Vi v1: mode ${mode} is not 1..6`, { mode });
    }
    const pageSizes = opts.pageSizes ?? 'all';
    this.levels = mode;
    this.inputWidth = Math.min(12 + 9 * mode, 64);
    this.name = pageSizes === 'all' ? `amd-v1-mode${mode}` : `amd-v1-mode${mode}-${pageSizes}`;
    this.fcHi = opts.forceCoherent === true ? FC_HI : 0;
    for (let level = 1; level <= mode; level++) this.sizes.push(sizesAt(level, pageSizes));
  }

  entryKind(lo: number, _hi: number, level: number): number {
    if ((lo & PR) === 0) return ENTRY_EMPTY;
    const nl = (lo >>> NL_SHIFT) & 7;
    return level === 1 || nl === AMD_NL_DEFAULT || nl === AMD_NL_SIZE ? ENTRY_LEAF : ENTRY_TABLE;
  }
  override nextLevel(lo: number, _hi: number, _level: number): number {
    return (lo >>> NL_SHIFT) & 7;
  }
  entryOutputPfn(lo: number, hi: number, _level: number): number {
    // Not through entryOutputAddress(): a double returned from a call not inlined is boxed.
    const pfn = maskedPfn(lo, hi, ADDR);
    if (((lo >>> NL_SHIFT) & 7) !== AMD_NL_SIZE) return pfn;
    const pages = POW2[encodedSizeLg2(lo, hi) - 12]!;
    return pfn - (pfn % pages); // drop the size-encoding ones
  }
  entryOutputAddress(lo: number, hi: number, _level: number): number {
    const addr = maskedAddress(lo, hi, ADDR);
    if (((lo >>> NL_SHIFT) & 7) !== AMD_NL_SIZE) return addr;
    const size = POW2[encodedSizeLg2(lo, hi)]!;
    return addr - (addr % size); // drop the size-encoding ones
  }
  override leafSizeLg2(lo: number, hi: number, level: number): number {
    return ((lo >>> NL_SHIFT) & 7) === AMD_NL_SIZE ? encodedSizeLg2(lo, hi) : levelShift(level);
  }
  entryPerm(_lo: number, hi: number, _level: number): number {
    return (hi >>> PERM_SHIFT_HI) & 3;
  }
  hasReservedBits(lo: number, hi: number, level: number): boolean {
    if ((hi & RSVD.hi) !== 0) return true;
    const nl = (lo >>> NL_SHIFT) & 7;
    if (nl === AMD_NL_DEFAULT) return level === 6; // Table 15: no translation entries at level 6
    if (nl === AMD_NL_SIZE) {
      // The encoded size must lie within what this level's entries can hold.
      const s = encodedSizeLg2(lo, hi);
      return level === 6 || s < levelShift(level) || s > levelShift(level) + 8;
    }
    return nl >= level; // a PDE must point to a lower level (level 1 has no PDEs)
  }
  writeLeaf(words: Uint32Array, index: number, pa: number, sizeLg2: number, perm: number, level: number): void {
    // Linux amdv1pt_install_leaf_entry(): PR | OA | IR/IW (| FC); NL=7 plus the size code when the
    // page is larger than the level's entry.
    let lo = addrLo(pa) | PR;
    let hi = addrHi(pa) | ((perm & 3) << PERM_SHIFT_HI) | this.fcHi;
    if (sizeLg2 !== levelShift(level)) {
      const code = POW2[sizeLg2 - 1]! - 4096; // ones in bits sizeLg2-2 .. 12
      lo |= addrLo(code) | (AMD_NL_SIZE << NL_SHIFT);
      hi |= addrHi(code);
    }
    words[2 * index] = lo >>> 0;
    words[2 * index + 1] = hi >>> 0;
  }
  override contiguousEntries(sizeLg2: number, level: number): number {
    return POW2[sizeLg2 - levelShift(level)]!;
  }
  writeTable(words: Uint32Array, index: number, tablePa: number, level: number): void {
    // Linux PM_LEVEL_PDE / amdv1pt_install_table(): PR | NL = level-1 | IR | IW.
    words[2 * index] = (addrLo(tablePa) | ((level - 1) << NL_SHIFT) | PR) >>> 0;
    words[2 * index + 1] = (addrHi(tablePa) | IR_HI | IW_HI) >>> 0;
  }
}

function sizesAt(level: number, pageSizes: AmdPageSizes): number[] {
  const base = levelShift(level);
  if (level === 6) return [];
  if (pageSizes === '4k') return level === 1 ? [12] : [];
  if (pageSizes === '4k-2m-1g') return level <= 3 ? [base] : [];
  const out: number[] = [];
  for (let s = Math.min(base + 8, MAX_PAGE_LG2); s >= base; s--) if (s !== NO_512G_LG2) out.push(s);
  return out;
}

export function amdV1Format(opts: AmdV1Options): PageTableFormat {
  return new AmdV1Format(opts);
}

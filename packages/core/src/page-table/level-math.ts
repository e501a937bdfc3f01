// SPDX-License-Identifier: Apache-2.0
// Arithmetic shared by every format and by the walker. The x86 formats use 4 KiB tables of 512
// eight-byte entries, so level n indexes address bits [20 + 9(n-1) : 12 + 9(n-1)] (facts sheet
// §1.6 for VT-d, §2.3 for AMD-Vi; Linux generic_pt pt_table_item_lg2sz()); the 4 KiB helpers
// below (levelShift, levelOfSize, tableIndex) are theirs. Arm VMSAv8-64 also has 16 KiB and
// 64 KiB granules: tables of 2^g bytes hold 2^(g-3) entries (Linux io-pgtable-arm.c
// ARM_LPAE_LVL_SHIFT, bits_per_level = g - 3), and the granule helpers (granule*, fmt*) take g.
// Addresses are numbers < 2^53 (addresses.ts); 64-bit entries are two 32-bit halves.

import { type MaskHalves, maskHalves } from '../bits/bitfield';
import type { PageTableFormat } from './format';

// The masks of field tables, derived in bits/bitfield.ts; re-exported for the formats.
export { type MaskHalves, maskHalves };

/** POW2[n] = 2^n for n in 0..64, exact as doubles (no allocation, no Math.pow in hot paths). */
export const POW2: Float64Array = (() => {
  const t = new Float64Array(65);
  for (let i = 0; i <= 64; i++) t[i] = 2 ** i;
  return t;
})();

/** Address-space bytes the model can express: 2^53 (addresses.ts). */
export const MODEL_ADDRESS_LG2 = 53;

/** Entries per 4 KiB table and the bits one level indexes. */
export const TABLE_ENTRIES = 512;
export const LEVEL_STRIDE = 9;

/** log2 of the bytes one entry at `level` covers: 12 at level 1, 21 at level 2, 30 at level 3... */
export function levelShift(level: number): number {
  return 3 + 9 * level;
}

/** The level whose entries cover 2^sizeLg2 bytes or, for AMD-Vi contiguous pages, the level below. */
export function levelOfSize(sizeLg2: number): number {
  return Math.floor((sizeLg2 - 12) / 9) + 1;
}

/**
 * Index into the table of `level` for an address given as halves (lo = bits 31:0, hi = bits 52:32).
 * Bits above 52 are zero in the model, so level 6 of AMD-Vi (bits 63:57) always indexes 0.
 */
export function tableIndex(ivLo: number, ivHi: number, level: number): number {
  const shift = 3 + 9 * level;
  if (shift < 32) return ((ivLo >>> shift) | (shift > 23 ? ivHi << (32 - shift) : 0)) & 511;
  return (ivHi >>> (shift - 32)) & 511;
}

/** Low half (bits 31:0) of an address < 2^53. */
export function addrLo(addr: number): number {
  return addr >>> 0;
}
/** High half (bits 52:32) of an address < 2^53. */
export function addrHi(addr: number): number {
  return (addr - (addr >>> 0)) / 4294967296;
}
/** 4 KiB page number of the address whose halves are `lo` (bits 31:0, as int32 or uint32) and `hi`. */
export function pfnOfHalves(lo: number, hi: number): number {
  return hi * 1048576 + (lo >>> 12);
}

/** Address held under `mask` in an entry, as a number. */
export function maskedAddress(lo: number, hi: number, mask: MaskHalves): number {
  return (hi & mask.hi) * 4294967296 + ((lo & mask.lo) >>> 0);
}
/**
 * maskedAddress() / 4096, for a mask whose bits 11:0 are clear (every entry's address field): the
 * page number, a small integer (below 2^30) for any address below 4 TiB, which a call V8 does not
 * inline returns without boxing it, where the address itself would be a boxed double.
 */
export function maskedPfn(lo: number, hi: number, mask: MaskHalves): number {
  return (hi & mask.hi) * 1048576 + ((lo & mask.lo) >>> 12);
}

/** log2 of the bytes one entry at `level` covers with 2^granuleLg2-byte tables (level 1: one granule). */
export function granuleLevelShift(granuleLg2: number, level: number): number {
  return granuleLg2 + (granuleLg2 - 3) * (level - 1);
}

/** log2 of the bytes one entry at `level` of `fmt` covers. */
export function fmtLevelShift(fmt: PageTableFormat, level: number): number {
  return granuleLevelShift(fmt.granuleLg2, level);
}

/** The level whose entries cover 2^sizeLg2 bytes (or, for AMD-Vi contiguous pages, the level below). */
export function fmtLevelOfSize(fmt: PageTableFormat, sizeLg2: number): number {
  const g = fmt.granuleLg2;
  return Math.floor((sizeLg2 - g) / (g - 3)) + 1;
}

/**
 * Index bits of the table at `level`: the granule's g - 3 below the root; at the root, what the
 * input width leaves (fewer, e.g. 2 entries for a 48-bit 16 KiB table, or up to 4 more for Arm
 * stage-2 concatenated tables).
 */
export function fmtIndexBits(fmt: PageTableFormat, level: number): number {
  return level === fmt.levels ? fmt.inputWidth - fmtLevelShift(fmt, level) : fmt.granuleLg2 - 3;
}

/**
 * 4 KiB pages of simulated memory one table at `level` occupies: one granule, and at the root at
 * least one granule (Linux allocates whole pages for a smaller pgd) or the concatenated tables.
 */
export function fmtTablePages(fmt: PageTableFormat, level: number): number {
  const bytesLg2 = level === fmt.levels ? Math.max(fmtIndexBits(fmt, level) + 3, fmt.granuleLg2) : fmt.granuleLg2;
  return POW2[bytesLg2 - 12]!;
}

/** Index into the table at `level` of `fmt` for an address given as halves (any granule). */
export function fmtTableIndex(fmt: PageTableFormat, ivLo: number, ivHi: number, level: number): number {
  const shift = fmtLevelShift(fmt, level);
  const mask = POW2[fmtIndexBits(fmt, level)]! - 1;
  return shift < 32 ? ((ivLo >>> shift) | (ivHi << (32 - shift))) & mask : (ivHi >>> (shift - 32)) & mask;
}

/** Every page size (log2 bytes) a format can map, ascending: Linux's pgsize_bitmap. */
export function pageSizesLg2(fmt: PageTableFormat): number[] {
  const sizes = new Set<number>();
  for (let level = 1; level <= fmt.levels; level++) for (const s of fmt.leafSizesLg2(level)) sizes.add(s);
  return [...sizes].sort((a, b) => a - b);
}

/** One past the largest input address the format (and the model) can translate. */
export function formatInputLimit(fmt: PageTableFormat): number {
  return POW2[Math.min(fmt.inputWidth, MODEL_ADDRESS_LG2)]!;
}

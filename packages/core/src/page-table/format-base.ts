// SPDX-License-Identifier: Apache-2.0
// What most page-table formats share, written once (Linux generic_pt gives the same defaults in
// pt_common.h / pt_fmt_defaults.h): 64-bit entries read as two 32-bit halves, a table entry points
// at the level below, a leaf is one entry, an entry at `level` maps 2^(g + (g-3)(level-1)) bytes,
// and the leaf sizes each level can install are computed once by the format's constructor. A
// format overrides what it does differently (AMD-Vi v1: Next Level skips, NL=7 sizes spanning
// several entries).

import { granuleLevelShift } from './level-math';

export abstract class FormatDefaults {
  /** log2 of a table's size in bytes (PageTableFormat.granuleLg2). */
  abstract readonly granuleLg2: number;
  /** Per level (index 0 unused): the leaf sizes (log2 bytes), largest first; filled by the constructor. */
  protected readonly sizes: (readonly number[])[] = [[]];

  nextLevel(_lo: number, _hi: number, level: number): number {
    return level - 1;
  }
  leafSizeLg2(_lo: number, _hi: number, level: number): number {
    return granuleLevelShift(this.granuleLg2, level);
  }
  leafSizesLg2(level: number): readonly number[] {
    return this.sizes[level] ?? [];
  }
  contiguousEntries(_sizeLg2: number, _level: number): number {
    return 1;
  }
  clearEntry(words: Uint32Array, index: number): void {
    words[2 * index] = 0;
    words[2 * index + 1] = 0;
  }
}

// SPDX-License-Identifier: Apache-2.0
// A minimal physical page allocator for DMA buffers in simulated memory (the model's
// alloc_pages / free_pages): first-fit over a sorted free list of page runs, within
// [basePa, limitPa). Pages are data pages of PhysMemory (materialised on first write).

import type { Hpa } from '../addresses';
import { CoreError } from '../errors';

export class SimPageAllocator {
  /** Free runs as [startPfn, pages], sorted by startPfn. */
  private readonly runs: Array<[number, number]>;
  pagesInUse = 0;

  constructor(
    readonly basePa: number,
    readonly limitPa: number,
  ) {
    if (basePa % 4096 !== 0 || limitPa <= basePa) {
      throw new CoreError('INVALID_ARGUMENT', 'page allocator range must be page aligned and non-empty', {
        basePa,
        limitPa,
      });
    }
    this.runs = [[basePa / 4096, Math.floor((limitPa - basePa) / 4096)]];
  }

  /**
   * Allocates `pages` contiguous pages starting on a multiple of `alignPages` pages; returns the
   * physical address or -1 when out of memory.
   */
  allocPages(pages: number, alignPages = 1): Hpa {
    for (let i = 0; i < this.runs.length; i++) {
      const r = this.runs[i]!;
      // The first pfn of the run on an `alignPages` boundary (a huge page is 512-page aligned, as
      // the buddy allocator aligns every block of order n to 2^n pages).
      const pfn = Math.ceil(r[0] / alignPages) * alignPages;
      const head = pfn - r[0];
      if (r[1] - head < pages) continue;
      const tail = r[1] - head - pages;
      const rest: Array<[number, number]> = [];
      if (head > 0) rest.push([r[0], head]);
      if (tail > 0) rest.push([pfn + pages, tail]);
      this.runs.splice(i, 1, ...rest);
      this.pagesInUse += pages;
      return (pfn * 4096) as Hpa;
    }
    return -1 as Hpa;
  }

  freePages(pa: Hpa, pages: number): void {
    const pfn = pa / 4096;
    let i = 0;
    while (i < this.runs.length && this.runs[i]![0] < pfn) i++;
    const prev = this.runs[i - 1];
    const next = this.runs[i];
    if ((prev && prev[0] + prev[1] > pfn) || (next && pfn + pages > next[0])) {
      throw new CoreError('INVALID_STATE', `double free of pages at 0x${pa.toString(16)}`, { pa, pages });
    }
    this.runs.splice(i, 0, [pfn, pages]);
    if (next && pfn + pages === next[0]) {
      this.runs[i]![1] += next[1];
      this.runs.splice(i + 1, 1);
    }
    if (prev && prev[0] + prev[1] === pfn) {
      prev[1] += this.runs[i]![1];
      this.runs.splice(i, 1);
    }
    this.pagesInUse -= pages;
  }
}

// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { hpa } from '../addresses';
import { SimPageAllocator } from './page-allocator';

describe('SimPageAllocator', () => {
  it('aligns a block to the pages asked for and keeps the pages before it free', () => {
    const a = new SimPageAllocator(0x1000, 0x1000 + 2048 * 4096);
    const one = a.allocPages(1);
    expect(one).toBe(0x1000);
    const huge = a.allocPages(512, 512);
    expect(huge % (512 * 4096)).toBe(0);
    expect(huge).toBe(512 * 4096);
    // The 510 pages between the first page and the huge page are still free, first fit.
    expect(a.allocPages(510)).toBe(0x2000);
    expect(a.pagesInUse).toBe(1 + 512 + 510);
    a.freePages(huge, 512);
    expect(a.allocPages(512, 512)).toBe(huge);
  });

  it('returns -1 when no aligned run is large enough, and refuses a double free', () => {
    const a = new SimPageAllocator(0x1000, 0x1000 + 1100 * 4096);
    expect(a.allocPages(512, 512)).toBe(512 * 4096);
    expect(a.allocPages(512, 512)).toBe(-1);
    a.freePages(hpa(512 * 4096), 512);
    expect(() => a.freePages(hpa(512 * 4096), 512)).toThrow(/double free/);
  });
});

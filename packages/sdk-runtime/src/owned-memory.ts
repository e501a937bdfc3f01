// SPDX-License-Identifier: Apache-2.0
// The memory a device was given (pages from ctx.memory, coherent buffers), and ctx.memory itself:
// a plugin may only map what it holds, anything else is DMA_OUT_OF_BOUNDS (the guard makes it a
// device fault). Regions are kept sorted by base for a binary search per map call.

import type { Hpa } from '@iofleet/core';
import { type DeviceInfo, type MemoryApi, SdkError } from '@iofleet/sdk';

const PAGE = 4096;
/** Bound on the pages one device may hold (16 GiB): a leak becomes a typed error, not an OOM. */
export const MAX_DEVICE_PAGES = 4 << 20;

/** The page allocator a device's memory comes from (core's DmaSim.pages). */
export interface PageSource {
  allocPages(count: number, alignPages: number): number;
  freePages(pa: number, count: number): void;
}

export class OwnedMemory {
  /** First page address -> page count. */
  private readonly regions = new Map<number, number>();
  /** Sorted region bases. */
  private readonly bases: number[] = [];
  private pages = 0;

  get pagesHeld(): number {
    return this.pages;
  }

  /** Pages of the region starting at `pa` (undefined when none starts there). */
  region(pa: number): number | undefined {
    return this.regions.get(pa);
  }

  private floorIndex(pa: number): number {
    let lo = 0;
    let hi = this.bases.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.bases[mid]! <= pa) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  own(pa: number, n: number): void {
    this.regions.set(pa, n);
    this.bases.splice(this.floorIndex(pa) + 1, 0, pa);
    this.pages += n;
  }

  disown(pa: number): void {
    this.pages -= this.regions.get(pa) ?? 0;
    this.regions.delete(pa);
    const i = this.floorIndex(pa);
    if (this.bases[i] === pa) this.bases.splice(i, 1);
  }

  /** True when [pa, pa + len) lies inside one region the device was given. */
  owns(pa: number, len: number): boolean {
    const i = this.floorIndex(pa);
    if (i < 0 || len < 0) return false;
    const base = this.bases[i]!;
    return pa + len <= base + this.regions.get(base)! * PAGE;
  }
}

/** ctx.memory: alloc_pages()/free_pages() of the device's own pages, bounded by MAX_DEVICE_PAGES. */
export function memoryApi(info: DeviceInfo, pages: PageSource, owned: OwnedMemory): MemoryApi {
  return {
    allocPages: (n, align = 1) => {
      if (!Number.isInteger(n) || n < 1 || owned.pagesHeld + n > MAX_DEVICE_PAGES)
        throw new SdkError(
          'PLUGIN_FAULT',
          `${info.bdf}: cannot allocate ${n} pages (holds ${owned.pagesHeld}, limit ${MAX_DEVICE_PAGES})`,
        );
      if (!Number.isInteger(align) || align < 1 || align > MAX_DEVICE_PAGES || (align & (align - 1)) !== 0)
        throw new SdkError('PLUGIN_FAULT', `${info.bdf}: page alignment ${align} is not a power of two`);
      const pa = pages.allocPages(n, align);
      if (pa < 0) throw new SdkError('PLUGIN_FAULT', `${info.bdf}: out of simulated memory for ${n} pages`);
      owned.own(pa, n);
      return pa;
    },
    freePages: (pa, n) => {
      if (owned.region(pa) !== n)
        throw new SdkError('PLUGIN_FAULT', `${info.bdf}: free of pages it does not hold at 0x${pa.toString(16)}`);
      owned.disown(pa);
      pages.freePages(pa as Hpa, n); // a region owned() recorded: pages this allocator gave out
    },
  };
}

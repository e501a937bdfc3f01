// SPDX-License-Identifier: Apache-2.0

import { mulberry32 } from '@iofleet/prng';
import { describe, expect, it } from 'vitest';
import { Iotlb } from './iotlb';

describe('IOTLB', () => {
  it('hits on what was inserted, with offset and permission, tagged by domain, PASID and size', () => {
    const t = new Iotlb({ entries: 64, ways: 4, replacement: 'lru' });
    t.insert(5, 0, 0x1000, 0x8000_0000, 12, 3);
    t.insert(5, 0, 0x4020_0000, 0x1_0000_0000, 21, 1);
    expect(t.lookup(5, 0, 0x1abc)).toBe(0x8000_0abc);
    expect(t.lastPerm).toBe(3);
    expect(t.lookup(5, 0, 0x4021_2345)).toBe(0x1_0001_2345);
    expect(t.lastSizeLg2).toBe(21);
    expect(t.lookup(6, 0, 0x1abc)).toBe(-1);
    expect(t.lookup(5, 1, 0x1abc)).toBe(-1);
    expect([t.hits, t.misses]).toEqual([2, 2]);
  });

  it('evicts the least recently used way of a full set (conflict misses)', () => {
    const t = new Iotlb({ entries: 8, ways: 2, replacement: 'lru' }); // 4 sets
    const page = (i: number) => i * 4 * 4096; // all in set 0
    t.insert(1, 0, page(0), 0x10000, 12, 3);
    t.insert(1, 0, page(1), 0x20000, 12, 3);
    expect(t.lookup(1, 0, page(0))).toBe(0x10000); // page 0 becomes most recent
    t.insert(1, 0, page(2), 0x30000, 12, 3); // evicts page 1
    expect(t.lookup(1, 0, page(1))).toBe(-1);
    expect(t.lookup(1, 0, page(0))).toBe(0x10000);
    const f = new Iotlb({ entries: 8, ways: 2, replacement: 'fifo' });
    f.insert(1, 0, page(0), 0x10000, 12, 3);
    f.insert(1, 0, page(1), 0x20000, 12, 3);
    f.lookup(1, 0, page(0));
    f.insert(1, 0, page(2), 0x30000, 12, 3); // FIFO evicts page 0 despite the hit
    expect(f.lookup(1, 0, page(0))).toBe(-1);
  });

  it('finds entries outside their preferred way and keeps LRU victims (way prediction)', () => {
    const t = new Iotlb({ entries: 8, ways: 2, replacement: 'lru' }); // 4 sets; preferred way = (page >> 2) & 1
    t.insert(1, 0, 0, 0x10000, 12, 3); // page 0: set 0, preferred way 0
    t.insert(1, 0, 8 * 4096, 0x20000, 12, 3); // page 8: set 0, preferred way 0 taken: way 1
    expect(t.lookup(1, 0, 8 * 4096 + 5)).toBe(0x20005);
    expect(t.lookup(1, 0, 0)).toBe(0x10000); // page 8 is now the least recently used
    t.insert(1, 0, 4 * 4096, 0x30000, 12, 3); // page 4: set 0, full: evicts page 8, whatever its way
    expect(t.lookup(1, 0, 8 * 4096)).toBe(-1);
    expect(t.lookup(1, 0, 0)).toBe(0x10000);
    expect(t.lookup(1, 0, 4 * 4096)).toBe(0x30000);
    expect([t.hits, t.misses]).toEqual([4, 1]);
  });

  it('finds every entry of a full set from any preferred way: the probe wraps around the set', () => {
    // 2 sets of 8 ways: set = page & 1, preferred way = (page >> 1) & 7.
    const t = new Iotlb({ entries: 16, ways: 8, replacement: 'fifo' });
    const pages = [14, 30, 46, 0, 16, 2, 18, 34]; // set 0; preferred ways 7, 7, 7, 0, 0, 1, 1, 1
    for (const [i, p] of pages.entries()) t.insert(1, 0, p * 4096, (0x100 + i) * 4096, 12, 3);
    // 14 takes way 7; 30 and 46 find it taken and take the first free ways (0, 1): their lookups
    // start at way 7 and wrap around to ways 0 and 1.
    for (const [i, p] of pages.entries()) expect(t.lookup(1, 0, p * 4096 + 7)).toBe((0x100 + i) * 4096 + 7);
    expect(t.lookup(1, 0, 62 * 4096)).toBe(-1); // set 0, preferred way 7, not cached: all 8 ways probed
    expect(t.lookup(2, 0, 14 * 4096)).toBe(-1); // another domain
    expect([t.hits, t.misses]).toEqual([8, 2]);
    // Ways not a power of two: no preferred way (way 0 first), the same scan.
    const u = new Iotlb({ entries: 12, ways: 3, replacement: 'lru' });
    for (const p of [0, 4, 8]) u.insert(1, 0, p * 4096, p * 8192, 12, 3);
    for (const p of [8, 4, 0]) expect(u.lookup(1, 0, p * 4096)).toBe(p * 8192);
    expect(u.lookup(1, 0, 12 * 4096)).toBe(-1);
    expect([u.hits, u.misses]).toEqual([3, 1]);
  });

  it('page-selective invalidation drops overlapping large pages too', () => {
    const t = new Iotlb();
    t.insert(1, 0, 0x20_0000, 0x4000_0000, 21, 3);
    t.insert(1, 0, 0x50_0000, 0x5000_0000, 12, 3);
    expect(t.invalidateRange(1, -1, 0x20_1000, 12)).toBe(1);
    expect(t.lookup(1, 0, 0x20_0000)).toBe(-1);
    expect(t.lookup(1, 0, 0x50_0000)).toBe(0x5000_0000);
    expect(t.invalidateDomain(1)).toBe(1);
    expect(t.validEntries).toBe(0);
  });

  it('never returns a translation that was invalidated or replaced (random ops vs a reference)', () => {
    for (const replacement of ['lru', 'fifo', 'random'] as const) {
      const rand = mulberry32(7);
      const t = new Iotlb({ entries: 32, ways: 4, replacement });
      const truth = new Map<string, number>(); // key -> pa of the latest insert still valid
      const key = (d: number, p: number) => `${d}:${p}`;
      for (let i = 0; i < 20_000; i++) {
        const d = 1 + Math.floor(rand() * 3);
        const page = Math.floor(rand() * 64);
        const r = rand();
        if (r < 0.4) {
          const pa = Math.floor(rand() * 1e6) * 4096;
          t.insert(d, 0, page * 4096, pa, 12, 3);
          truth.set(key(d, page), pa);
        } else if (r < 0.9) {
          const got = t.lookup(d, 0, page * 4096 + 8);
          if (got >= 0) expect(got).toBe(truth.get(key(d, page))! + 8);
        } else if (r < 0.97) {
          t.invalidateRange(d, -1, page * 4096, 12);
          truth.delete(key(d, page));
        } else {
          t.invalidateDomain(d);
          for (const k of [...truth.keys()]) if (k.startsWith(`${d}:`)) truth.delete(k);
        }
      }
      expect(t.hits).toBeGreaterThan(1000);
    }
  });
  it("find() hits exactly where lookup() does and leaves lookup()'s address in lastPa", () => {
    const rand = mulberry32(11);
    const a = new Iotlb({ entries: 32, ways: 4, replacement: 'lru' });
    const b = new Iotlb({ entries: 32, ways: 4, replacement: 'lru' });
    let hits = 0;
    for (let i = 0; i < 20_000; i++) {
      const d = 1 + Math.floor(rand() * 2);
      const lg2 = rand() < 0.2 ? 21 : 12;
      // Low addresses, and addresses whose high half counts too.
      const region = rand() < 0.5 ? 0 : 2 ** 40 + 0xffe0_0000;
      const iova = region + Math.floor(rand() * 96) * 4096 + Math.floor(rand() * 4096);
      if (rand() < 0.4) {
        const pa = Math.floor(rand() * 2 ** 30) * 2 ** 21;
        a.insert(d, 0, iova, pa, lg2, 3);
        b.insert(d, 0, iova, pa, lg2, 3);
        continue;
      }
      const pa = a.lookup(d, 0, iova);
      const e = b.find(d, 0, { address: iova });
      expect(e >= 0).toBe(pa >= 0);
      if (e >= 0) {
        expect(b.lastPa).toBe(pa);
        expect([b.lastPerm, b.lastSizeLg2]).toEqual([a.lastPerm, a.lastSizeLg2]);
        hits++;
      }
    }
    expect([b.hits, b.misses]).toEqual([a.hits, a.misses]);
    expect(hits).toBeGreaterThan(1000);
  });
});

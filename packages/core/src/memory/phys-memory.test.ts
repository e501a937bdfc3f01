// SPDX-License-Identifier: Apache-2.0
// Contract tests for PhysMemory: table pool, lazy data pages, little-endian accessors, bounds.

import { describe, expect, it } from 'vitest';
import { isCoreError } from '../errors';
import { PAGE_WORDS, PhysMemory } from './phys-memory';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isCoreError(e) ? e.code : String(e);
  }
  return undefined;
}

describe('PhysMemory table pool', () => {
  it('hands out 4 KiB-aligned zeroed pages from the pool base, and counts them', () => {
    const mem = new PhysMemory({ tablePoolBasePfn: 0x200 });
    const a = mem.allocTablePage();
    const b = mem.allocTablePage();
    expect([a, b]).toEqual([0x20_0000, 0x20_1000]);
    expect(mem.words(0x200)!.length).toBe(PAGE_WORDS);
    expect(mem.words(0x201)!.every((w) => w === 0)).toBe(true);
    expect([mem.tablePagesInUse, mem.peakTablePages, mem.tableBytesInUse]).toEqual([2, 2, 8192]);
  });

  it('reuses a freed page zeroed, keeping the peak', () => {
    const mem = new PhysMemory();
    const a = mem.allocTablePage();
    mem.writeU32(a + 8, 0xdead_beef);
    mem.freeTablePage(a);
    expect(mem.tablePagesInUse).toBe(0);
    expect(mem.allocTablePage()).toBe(a);
    expect(mem.readU32(a + 8)).toBe(0);
    expect(mem.peakTablePages).toBe(1);
  });

  it('allocates contiguous runs of 2^order pages', () => {
    const mem = new PhysMemory();
    mem.allocTablePage();
    const run = mem.allocTablePages(2);
    for (let i = 0; i < 4; i++) expect(mem.words(run / 4096 + i)).toBeDefined();
    expect(mem.words(run / 4096 + 4)).toBeUndefined();
    expect(mem.tablePagesInUse).toBe(5);
  });

  it('allocates size-aligned table blocks, reuses freed ones zeroed, and refuses bad sizes', () => {
    const mem = new PhysMemory({ tablePoolBasePfn: 0x10000 });
    const one = mem.allocTablePage(); // pool index 0: the next 16-page block starts at index 16
    const a = mem.allocTableBlock(16);
    expect([one, a]).toEqual([0x1000_0000, 0x1001_0000]);
    expect(a % (16 * 4096)).toBe(0);
    expect(mem.tablePagesInUse).toBe(17); // the 15 pages skipped for alignment are free, not in use
    expect(mem.allocTablePage()).toBe(0x1000_1000); // a skipped page is handed out first
    mem.writeU32(a + 15 * 4096, 7);
    mem.freeTableBlock(a, 16);
    expect(mem.tablePagesInUse).toBe(2);
    expect(mem.allocTableBlock(16)).toBe(a); // the same block again, zeroed
    expect(mem.readU32(a + 15 * 4096)).toBe(0);
    expect(mem.allocTableBlock(1)).toBe(0x1000_2000);
    expect(codeOf(() => mem.allocTableBlock(3))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => mem.allocTableBlock(512))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => mem.freeTableBlock(a + 4096, 16))).toBe('INVALID_ARGUMENT');
    const small = new PhysMemory({ maxTablePages: 20 });
    small.allocTablePage();
    expect(codeOf(() => small.allocTableBlock(16))).toBe('LIMIT_EXCEEDED'); // 16 + 16 > 20
  });

  it('refuses to free what is not a table page', () => {
    const mem = new PhysMemory();
    const a = mem.allocTablePage();
    expect(codeOf(() => mem.freeTablePage(a + 8))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => mem.freeTablePage(0x1000))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => mem.freeTablePage(a + 0x1000))).toBe('INVALID_ARGUMENT');
  });

  it('turns exhaustion into LIMIT_EXCEEDED', () => {
    const mem = new PhysMemory({ maxTablePages: 2 });
    mem.allocTablePage();
    mem.allocTablePage();
    expect(codeOf(() => mem.allocTablePage())).toBe('LIMIT_EXCEEDED');
    expect(codeOf(() => mem.allocTablePages(1))).toBe('LIMIT_EXCEEDED');
  });
});

describe('PhysMemory data pages and accessors', () => {
  it('reads untouched memory as zero without materialising it', () => {
    const mem = new PhysMemory();
    expect(mem.readU32(0x5000_0000)).toBe(0);
    expect(mem.readU64(0x5000_0000)).toBe(0n);
    expect(mem.read(0x5000_0ffe, 4)).toEqual(new Uint8Array(4));
    expect(mem.words(0x5_0000)).toBeUndefined();
    expect(mem.dataPagesTouched).toBe(0);
  });

  it('materialises a data page on first write', () => {
    const mem = new PhysMemory();
    mem.writeU32(0x5000_0004, 0x8000_0001);
    expect(mem.readU32(0x5000_0004)).toBe(0x8000_0001);
    expect(mem.dataPagesTouched).toBe(1);
    expect(mem.words(0x5_0000)![1]).toBe(0x8000_0001);
  });

  it('is little-endian in every accessor', () => {
    const mem = new PhysMemory();
    mem.writeU64(0x1_0000, 0x1122_3344_5566_7788n);
    expect([mem.readU32(0x1_0000), mem.readU32(0x1_0004)]).toEqual([0x5566_7788, 0x1122_3344]);
    expect([...mem.read(0x1_0000, 3)]).toEqual([0x88, 0x77, 0x66]);
    mem.write(0x2_0000, Uint8Array.of(1, 2, 3, 4));
    expect(mem.readU32(0x2_0000)).toBe(0x0403_0201);
    mem.writeU64(0x3_0000, 0xffff_ffff_ffff_fffen);
    expect(mem.readU64(0x3_0000)).toBe(0xffff_ffff_ffff_fffen);
  });

  it('copies bytes across page boundaries, at any alignment, into a caller buffer', () => {
    const mem = new PhysMemory();
    const bytes = Uint8Array.from({ length: 10 }, (_, i) => i + 1);
    mem.write(0x6000_0ffb, bytes);
    expect(mem.dataPagesTouched).toBe(2);
    const out = new Uint8Array(12);
    mem.read(0x6000_0ffa, 12, out);
    expect([...out]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0]);
  });

  it('turns too many touched data pages into LIMIT_EXCEEDED', () => {
    const mem = new PhysMemory({ maxDataPages: 1 });
    mem.writeU32(0x7000_0000, 1);
    mem.writeU32(0x7000_0ffc, 2); // same page: fine
    expect(codeOf(() => mem.writeU32(0x7000_1000, 3))).toBe('LIMIT_EXCEEDED');
  });
});

describe('PhysMemory wide structures', () => {
  it('reads and writes a 32-byte structure as one little-endian bigint (bit n = spec bit n)', () => {
    const mem = new PhysMemory();
    const pa = mem.allocTablePage() + 0x40;
    const v = (0x1122_3344_5566_7788n << 192n) | (0xdead_beefn << 64n) | 0x8000_0000_0000_0001n;
    mem.writeWide(pa, 32, v);
    expect(mem.readU64(pa)).toBe(0x8000_0000_0000_0001n);
    expect(mem.readU64(pa + 8)).toBe(0xdead_beefn);
    expect(mem.readU64(pa + 16)).toBe(0n);
    expect(mem.readU64(pa + 24)).toBe(0x1122_3344_5566_7788n);
    expect(mem.readWide(pa, 32)).toBe(v);
    expect(mem.readWide(pa, 16)).toBe(v & ((1n << 128n) - 1n));
    expect(mem.readU64(pa + 32)).toBe(0n); // nothing past the structure written
  });
});

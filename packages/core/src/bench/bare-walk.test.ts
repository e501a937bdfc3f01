// SPDX-License-Identifier: Apache-2.0
// The bare walk of `bench core --vs-c --bounds` is only a ceiling if it does the walk's real work:
// it must find what the VT-d unit finds on the same mappings, and nothing where nothing is mapped.
import { describe, expect, it } from 'vitest';
import { newTranslationOut } from '../iommu/translation';
import { PhysMemory } from '../memory/phys-memory';
import { PERM_RW } from '../page-table/format';
import { VtdUnit } from '../vtd/unit';
import { BareTables, bareTables, bareWalk, bareWalkBatch, runBareWalks } from './bare-walk';

const halves = (v: number): [number, number] => [v >>> 0, Math.floor(v / 2 ** 32)];

describe('bare walk (the ceiling of bench core --vs-c --bounds)', () => {
  it("finds what the VT-d unit finds on cref.c's mappings", () => {
    const n = 3000; // crosses a 2 MiB (512-entry) leaf table boundary
    const { tables, lo, hi } = bareTables(n);
    const u = new VtdUnit({
      mem: new PhysMemory(),
      params: { addressWidth: 48, superpages: { '2M': false, '1G': false }, pscEntriesPerLevel: 0 },
    });
    const d = u.createDomain();
    u.attachDevice(0x100, d);
    for (let i = 0; i < n; i++) d.map(0xfffff000 - i * 4096, i * 4096, 4096, PERM_RW);
    const out = newTranslationOut();
    for (let i = 0; i < n; i += 7) {
      const iova = 0xfffff000 - i * 4096 + (i % 4096);
      u.translate({ sourceId: 0x100, segment: 0, address: iova, write: false, pasid: -1 }, out);
      expect(out.ok).toBe(true);
      expect(bareWalk(tables.words, tables.root, ...halves(iova))).toBe(out.pa);
      expect(lo[i]).toBe(0xfffff000 - i * 4096);
      expect(hi[i]).toBe(0);
    }
    // Below the dense range, and above 4 GiB: nothing mapped.
    expect(bareWalk(tables.words, tables.root, ...halves(0xfffff000 - n * 4096))).toBe(-1);
    expect(bareWalk(tables.words, tables.root, ...halves(2 ** 40))).toBe(-1);
  });

  it('walks high addresses and high physical addresses (both 32-bit halves)', () => {
    const t = new BareTables(16);
    const iova = 0xabcd_1234_5000; // 47:39, 38:30 straddles the halves
    const hpa = 0x7_89ab_cdef_0000;
    t.map4k(iova, hpa);
    expect(bareWalk(t.words, t.root, ...halves(iova + 0x123))).toBe(hpa + 0x123);
    expect(bareWalk(t.words, t.root, ...halves(iova + 4096))).toBe(-1);
  });

  it('the interleaved walk gives what one walk after another gives', () => {
    const { tables } = bareTables(4096);
    const addrs = [0xfffff000, 0xfffff000 - 4095 * 4096 + 17, 0xfffff000 - 4096 * 4096, 2 ** 40, 0xfff00abc];
    const lo = new Uint32Array(addrs.map((a) => a >>> 0));
    const hi = new Uint32Array(addrs.map((a) => Math.floor(a / 2 ** 32)));
    const pa = new Float64Array(addrs.length);
    bareWalkBatch(tables.words, tables.root, addrs.length, lo, hi, new Int32Array(addrs.length), pa);
    expect([...pa]).toEqual(addrs.map((a) => bareWalk(tables.words, tables.root, ...halves(a))));
    expect(pa[0]).toBe(0);
    expect(pa[3]).toBe(-1);
  });

  it('runs both loops (figures are speeds, checked for being real only)', () => {
    const r = runBareWalks(4096, 0.02);
    expect(r.bareWalksPerSec).toBeGreaterThan(0);
    expect(r.bareInterleavedWalksPerSec).toBeGreaterThan(0);
  });

  it('says when its table memory runs out', () => {
    const t = new BareTables(3);
    expect(() => t.map4k(0, 0)).toThrow(/bare walk: table memory of 3 pages exhausted/);
  });
});

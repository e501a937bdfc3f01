// SPDX-License-Identifier: Apache-2.0
// Properties of the SMMUv3 unit over seeded random runs (they replay exactly):
//  - strict mode never translates what was unmapped, and always what is mapped (a reference map);
//  - lazy mode may hit stale entries, but only old translations, and none after flush_iotlb_all;
//  - fuzz: random STE/CD words and random commands never throw out of translate() or the queue, and
//    every fault is a value with an SMMUv3 event code (or 0 for an aborting STE).

import { mulberry32 } from '@iofleet/prng';
import { describe, expect, it } from 'vitest';
import { isCoreError } from '../errors';
import { newTranslationOut } from '../iommu/translation';
import { PhysMemory } from '../memory/phys-memory';
import { PERM_READ, PERM_RW } from '../page-table/format';
import { cfgiAll } from './commands';
import { CD_BYTES } from './context-descriptor';
import { EVT_NAME } from './event-queue';
import { STE_BYTES } from './stream-table';
import { SmmuV3Unit } from './unit';

const SID = 0x100;

function run(pageSize: '4K' | '64K', strict: boolean, seed: number) {
  const rnd = mulberry32(seed);
  const unit = new SmmuV3Unit({
    mem: new PhysMemory(),
    pageSize,
    params: { tlb: { entries: 64, ways: 4, replacement: 'lru' } },
  });
  const d = unit.createDomain('dma');
  unit.attachDevice(SID, d);
  const G = pageSize === '4K' ? 0x1000 : 0x1_0000;
  const mapped = new Map<number, number>(); // page -> pa
  const ever = new Map<number, Set<number>>(); // page -> every pa it was mapped to
  const out = newTranslationOut();
  let stale = 0;
  let hits = 0;
  for (let op = 0; op < 4000; op++) {
    const page = Math.floor(rnd() * 256);
    const r = rnd();
    if (r < 0.3 && !mapped.has(page)) {
      const pa = (0x1_0000 + Math.floor(rnd() * 0x10_0000)) * G;
      d.map(page * G, pa, G, PERM_RW);
      mapped.set(page, pa);
      if (!ever.has(page)) ever.set(page, new Set());
      ever.get(page)!.add(pa);
    } else if (r < 0.5 && mapped.has(page)) {
      expect(d.unmap(page * G, G)).toBe(G);
      if (strict) d.iotlbSync(page * G, G);
      mapped.delete(page);
    } else if (r < 0.52 && !strict) {
      d.flushIotlbAll();
    } else {
      const off = Math.floor(rnd() * G);
      unit.translate({ sourceId: SID, segment: 0, address: page * G + off, write: rnd() < 0.5, pasid: -1 }, out);
      const want = mapped.get(page);
      if (out.ok && want !== undefined && out.pa === want + off) hits++;
      else if (out.ok) {
        // Only lazy mode may translate through a stale entry, and only to an address the page once had.
        expect(strict).toBe(false);
        expect(ever.get(page)?.has(out.pa - off)).toBe(true);
        stale++;
      } else expect(want).toBeUndefined();
    }
  }
  d.flushIotlbAll();
  for (const [page, pa] of mapped) {
    unit.translate({ sourceId: SID, segment: 0, address: page * G, write: false, pasid: -1 }, out);
    expect([out.ok, out.pa]).toEqual([true, pa]);
  }
  unit.translate({ sourceId: SID, segment: 0, address: 300 * G, write: false, pasid: -1 }, out);
  expect(out.ok).toBe(false);
  return { stale, hits };
}

describe('SMMUv3 properties', () => {
  it.each([
    ['4K', 1],
    ['64K', 2],
  ] as const)('strict mode (%s pages): never a stale translation', (pageSize, seed) => {
    expect(run(pageSize, true, seed).hits).toBeGreaterThan(500);
  });

  it('lazy mode: stale translations happen, only to old addresses, and end at flush_iotlb_all', () => {
    const r = run('4K', false, 3);
    expect(r.stale).toBeGreaterThan(0);
    expect(r.hits).toBeGreaterThan(500);
  });

  it('fuzz: random STEs, CDs and commands give fault values and queue errors, never exceptions', () => {
    const rnd = mulberry32(0x5eed);
    const unit = new SmmuV3Unit({ mem: new PhysMemory() });
    const d = unit.createDomain('dma');
    d.map(0x1000, 0x8000_0000, 0x1000, PERM_READ);
    unit.attachDevice(SID, d, { ssidBits: 2 });
    const steAddr = unit.streams.steAddr(SID);
    const cdAddr = unit.streams.read(SID) & 0x000f_ffff_ffff_ffc0n;
    const word = () => BigInt(Math.floor(rnd() * 2 ** 32)) | (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n);
    const codes = new Set<number>([0, ...Object.keys(EVT_NAME).map(Number)]);
    const out = newTranslationOut();
    let faults = 0;
    const seen = new Set<number>();
    for (let i = 0; i < 3000; i++) {
      const r = rnd();
      // Keep V and a translating Config often enough to reach the CD and the walk.
      if (r < 0.3)
        unit.mem.writeU64(steAddr + 8 * Math.floor(rnd() * (STE_BYTES / 8)), rnd() < 0.5 ? word() | 0xbn : word());
      else if (r < 0.5) unit.mem.writeU64(Number(cdAddr) + 8 * Math.floor(rnd() * (CD_BYTES / 8)), word());
      else if (r < 0.6) {
        const cmds = [word() | (word() << 64n), word() | (word() << 64n)].map((c) =>
          rnd() < 0.5 ? (c & ~0xffn) | BigInt(Math.floor(rnd() * 0x48)) : c,
        );
        try {
          unit.cmdq.issueCmdlist(cmds, rnd() < 0.5);
        } catch (e) {
          // A random CMD_SYNC's MSI may land anywhere, even on Linux's own CMD_SYNC: a typed timeout at worst.
          expect(isCoreError(e) && e.code).toBe('INVALID_STATE');
        }
      } else if (r < 0.65) unit.cmdq.issueCmdlist([cfgiAll()], true);
      else {
        const pasid = rnd() < 0.2 ? Math.floor(rnd() * 8) : -1;
        unit.translate(
          {
            sourceId: SID + Math.floor(rnd() * 2),
            segment: 0,
            address: Math.floor(rnd() * 2 ** 52),
            write: rnd() < 0.5,
            pasid,
          },
          out,
        );
        if (!out.ok) {
          faults++;
          expect(out.fault?.unit).toBe('smmu');
          expect(codes.has(out.fault!.reason)).toBe(true);
          seen.add(out.fault!.reason);
        }
      }
    }
    expect(faults).toBeGreaterThan(500);
    expect(seen.size).toBeGreaterThanOrEqual(5); // the run reached several kinds of fault, not one
    expect(unit.drainLog().length).toBeGreaterThan(0);
  });
});

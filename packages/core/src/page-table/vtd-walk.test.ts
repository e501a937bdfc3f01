// SPDX-License-Identifier: Apache-2.0
// vtdWalk(), the VT-d unit's specialised second-stage walk, gives exactly what the generic walk()
// gives with the same format, on tables whose entries are random (present or not, reserved bits,
// PS at every level, R/W mixes, pointers inside and outside the table pool).
import { describe, expect, it } from 'vitest';
import { PhysMemory } from '../memory/phys-memory';
import { newWalkOut, PERM_READ, PERM_WRITE } from './format';
import { asVtdSecondStage, type VtdWidthBits, vtdSecondStageFormat, vtdWalk } from './vtd-second-stage';
import { walk } from './walk';

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

describe('vtdWalk', () => {
  for (const widthBits of [39, 48, 57] as VtdWidthBits[])
    for (const snoopControl of [false, true])
      it(`matches walk() on random ${widthBits}-bit tables (snoop control ${snoopControl})`, () => {
        const r = rng(widthBits * 7 + (snoopControl ? 1 : 0));
        const mem = new PhysMemory({ tablePoolBasePfn: 0x100 });
        const fmt = vtdSecondStageFormat({ widthBits, superpages: { '2M': true, '1G': r() < 0.5 }, snoopControl });
        const vf = asVtdSecondStage(fmt)!;
        const pages = Array.from({ length: 70 }, () => mem.allocTablePage()); // more than one chunk
        // Each table's entries: mostly pointers to other pool pages, some leaves, some junk.
        for (const pa of pages) {
          const w = mem.words(pa / 4096)!;
          for (let i = 0; i < 512; i++) {
            const t = r();
            const target =
              t < 0.9
                ? pages[Math.floor(r() * pages.length)]!
                : t < 0.95
                  ? 0x7_0000_0000
                  : t < 0.97
                    ? 2 ** 43 + 0x5000 // at 8 TiB and up: beyond vtdWalk()'s 32-bit page numbers
                    : Math.floor(r() * 2 ** 20) * 4096;
            let lo = (target % 2 ** 32) + Math.floor(r() * 4); // R/W (0 = not present)
            if (r() < 0.2) lo |= 1 << 7; // PS
            if (r() < 0.05) lo |= 1 << (2 + Math.floor(r() * 5)); // bits 6:2
            if (r() < 0.05) lo |= 1 << 11; // SNP
            if (r() < 0.05) lo |= 1 << (12 + Math.floor(r() * 18)); // superpage low address bits
            w[2 * i] = lo >>> 0;
            w[2 * i + 1] = Math.floor(target / 2 ** 32) | (r() < 0.03 ? 1 << 30 : 0); // TM (bit 62)
          }
        }
        const a = newWalkOut();
        const b = newWalkOut();
        let fast = 0;
        const statuses = new Set<number>();
        for (let k = 0; k < 4000; k++) {
          const iova = Math.floor(r() * 2 ** widthBits);
          const access = r() < 0.5 ? PERM_READ : PERM_WRITE;
          const root = pages[Math.floor(r() * pages.length)]!;
          walk(mem, fmt, root, iova, access, a);
          if (vtdWalk(mem, vf, root, iova | 0, Math.floor(iova / 2 ** 32), access, b)) {
            fast++;
            expect(b).toEqual(a);
            statuses.add(a.status);
          }
        }
        expect(fast).toBeGreaterThan(3000);
        expect(statuses.size).toBeGreaterThanOrEqual(4); // ok, not present, reserved, permission
      });
});

// SPDX-License-Identifier: Apache-2.0
// Golden descriptors for the Arm VMSAv8-64 format, derived by hand from DDI 0487 §D8.3 and the
// values Linux io-pgtable-arm.c writes (arm_lpae_prot_to_pte(): nG | AP[1] | AttrIndx 1 | SH=IS |
// AF | type for a cacheable stage-1 mapping; S2AP | MemAttr 0xf | SH=IS | AF | type at stage 2).
// Tables come from a fresh PhysMemory, whose pool starts at pfn 0x10000 (root at 0x1000_0000).

import { describe, expect, it } from 'vitest';
import { isCoreError } from '../errors';
import { formatHarness } from '../testing/format-harness';
import { type ArmVmsav8Options, armLevelOf, armVmsav8Format } from './arm-vmsav8';
import {
  PERM_READ,
  PERM_RW,
  PERM_WRITE,
  WALK_ACCESS_FLAG,
  WALK_ADDRESS_SIZE,
  WALK_NOT_PRESENT,
  WALK_OK,
  WALK_PERMISSION,
  WALK_RESERVED,
} from './format';
import { fmtTablePages, pageSizesLg2 } from './level-math';

function setup(opts: ArmVmsav8Options) {
  return formatHarness(armVmsav8Format(opts));
}

const S1_4K: ArmVmsav8Options = { stage: 1, granule: '4K', inputBits: 48 };

describe('Arm VMSAv8-64 format', () => {
  it('starts at the level the input size needs, concatenating stage-2 roots as Linux does', () => {
    const cases: Array<[ArmVmsav8Options, number, number, number[]]> = [
      // options, levels, root 4 KiB pages, page sizes
      [S1_4K, 4, 1, [12, 21, 30]],
      [{ stage: 1, granule: '4K', inputBits: 39 }, 3, 1, [12, 21, 30]],
      [{ stage: 1, granule: '16K', inputBits: 48 }, 4, 4, [14, 25]],
      [{ stage: 1, granule: '64K', inputBits: 48 }, 3, 16, [16, 29]],
      [{ stage: 1, granule: '64K', inputBits: 52, outputBits: 52 }, 3, 16, [16, 29, 42]],
      [{ stage: 2, granule: '4K', inputBits: 40 }, 3, 2, [12, 21, 30]], // 2 concatenated level-1 tables
      [{ stage: 2, granule: '4K', inputBits: 48 }, 4, 1, [12, 21, 30]], // 512 would be too many to concatenate
      [{ stage: 2, granule: '16K', inputBits: 48 }, 3, 8, [14, 25]], // level 0 of 2 entries -> 2 x 16 KiB
      [{ stage: 2, granule: '4K', inputBits: 40, concatenate: false }, 4, 1, [12, 21, 30]],
    ];
    for (const [opts, levels, rootPages, sizes] of cases) {
      const fmt = armVmsav8Format(opts);
      expect([fmt.levels, fmtTablePages(fmt, fmt.levels), pageSizesLg2(fmt)]).toEqual([levels, rootPages, sizes]);
    }
    expect(armLevelOf(1)).toBe(3);
    expect(armVmsav8Format(S1_4K).name).toBe('arm-s1-4k-48');
  });

  it('writes a cacheable stage-1 RW page as Linux does: 0xf47 over the address', () => {
    const s = setup(S1_4K);
    s.pt.map(0x4020_1000, 0x8765_4000, 0x1000, PERM_RW);
    expect(s.mem.readU64(0x1000_0000)).toBe(0x1000_1003n); // L0[0] -> L1 table (type 0b11)
    expect(s.mem.readU64(0x1000_1000 + 8 * 1)).toBe(0x1000_2003n); // L1[1] -> L2
    expect(s.mem.readU64(0x1000_2000 + 8 * 1)).toBe(0x1000_3003n); // L2[1] -> L3
    expect(s.mem.readU64(0x1000_3000 + 8 * 1)).toBe(0x8765_4f47n); // nG AF SH=IS AP[1] AttrIndx=1 page
    s.pt.map(0x4020_2000, 0x8765_5000, 0x1000, PERM_READ);
    expect(s.mem.readU64(0x1000_3000 + 8 * 2)).toBe(0x8765_5fc7n); // + AP[2]: read-only
  });

  it('writes 2 MiB and 1 GiB blocks (type 0b01) and stage-2 S2AP/MemAttr leaves', () => {
    const s = setup(S1_4K);
    s.pt.map(0x4020_0000, 0x4020_0000, 0x20_0000, PERM_RW);
    expect(s.mem.readU64(0x1000_2000 + 8 * 1)).toBe(0x4020_0f45n);
    s.pt.map(0xc000_0000, 0x8000_0000, 0x4000_0000, PERM_RW);
    expect(s.mem.readU64(0x1000_1000 + 8 * 3)).toBe(0x8000_0f45n);
    const s2 = setup({ stage: 2, granule: '4K', inputBits: 48 });
    s2.pt.map(0x1000, 0x5000, 0x1000, PERM_RW);
    s2.pt.map(0x2000, 0x6000, 0x1000, PERM_WRITE);
    expect(s2.mem.readU64(0x1000_3000 + 8)).toBe(0x57ffn); // S2AP=RW, MemAttr=0xf, SH=IS, AF, page
    expect(s2.mem.readU64(0x1000_3000 + 16)).toBe(0x67bfn); // S2AP=W only
    expect(s2.walk(0x2000, PERM_READ).status).toBe(WALK_PERMISSION);
    expect(s2.walk(0x2000, PERM_WRITE).status).toBe(WALK_OK);
    const nc = setup({ stage: 2, granule: '4K', inputBits: 48, coherent: false });
    nc.pt.map(0x1000, 0x5000, 0x1000, PERM_READ);
    expect(nc.mem.readU64(0x1000_3000 + 8)).toBe(0x5657n); // S2AP=R, MemAttr=0x5 (NC), SH=OS
  });

  it('gives a stage-1 write-only mapping read and write (AP has no write-only encoding)', () => {
    const s = setup(S1_4K);
    s.pt.map(0x1000, 0x5000, 0x1000, PERM_WRITE);
    expect(s.walk(0x1000, PERM_RW)).toMatchObject({ status: WALK_OK, perm: PERM_RW });
  });

  it('keeps OA[51:48] in bits 15:12 of a 64 KiB descriptor with a 52-bit output size', () => {
    const s = setup({ stage: 1, granule: '64K', inputBits: 48, outputBits: 52 });
    const pa = 2 ** 50 + 0x1234_0000;
    s.pt.map(0x1_0000, pa, 0x1_0000, PERM_RW);
    const out = s.walk(0x1_0008, PERM_READ);
    expect([out.status, out.pa, out.sizeLg2]).toEqual([WALK_OK, pa + 8, 16]);
    expect(s.pt.iovaToPhys(0x1_0000)).toBe(pa);
  });

  describe('faults as values, in the order D8.3 and the SMMU report them', () => {
    // 4K, 48-bit: L3 table at 0x1000_3000 after mapping 0x1000.
    const leafPa = 0x1000_3000 + 8;
    it.each([
      ['an invalid descriptor', leafPa, 0x5f46n, WALK_NOT_PRESENT, 1],
      ['type 0b01 at level 3', leafPa, 0x5f45n, WALK_RESERVED, 1],
      ['a block at level 0', 0x1000_0000, 0x0f45n, WALK_RESERVED, 4],
      ['an output address above 2^oas', leafPa, 0x100_0000_5f47n, WALK_ADDRESS_SIZE, 1],
      ['bits 51:48 set without a 52-bit OA', leafPa, 0x1_0000_0000_5f47n, WALK_ADDRESS_SIZE, 1],
      ['a table above 2^oas', 0x1000_2000, 0x100_1000_3003n, WALK_ADDRESS_SIZE, 2],
      ['AF = 0', leafPa, 0x5b47n, WALK_ACCESS_FLAG, 1],
    ])('%s', (_what, at, entry, status, level) => {
      const s = setup({ stage: 1, granule: '4K', inputBits: 48, outputBits: 40 });
      s.pt.map(0x1000, 0x5000, 0x1000, PERM_RW);
      s.mem.writeU64(at, entry);
      expect([s.walk(0x1000, PERM_READ).status, s.walk(0x1000, PERM_READ).level]).toEqual([status, level]);
    });

    it('does not fault on AF = 0 when the access flag is not checked (HA / AFFD)', () => {
      const s = setup({ ...S1_4K, accessFlagIgnored: true });
      s.pt.map(0x1000, 0x5000, 0x1000, PERM_RW);
      s.mem.writeU64(leafPa, 0x5b47n);
      expect(s.walk(0x1000, PERM_READ).status).toBe(WALK_OK);
    });

    it('refuses a 64 GiB block with the 16 KiB granule (none without FEAT_LPA2)', () => {
      const s = setup({ stage: 1, granule: '16K', inputBits: 48 });
      s.pt.map(0x4000, 0x8000, 0x4000, PERM_RW);
      // Root (Arm level 0) -> level-1 table at 0x1000_4000 (the root is one 16 KiB block).
      s.mem.writeU64(0x1000_4000, 0x0f45n);
      expect(s.walk(0x4000, PERM_READ)).toMatchObject({ status: WALK_RESERVED, level: 3 });
    });

    it('applies AP[1] (no unprivileged access) and APTable (no write) on the way down', () => {
      const s = setup(S1_4K);
      s.pt.map(0x1000, 0x5000, 0x1000, PERM_RW);
      s.mem.writeU64(leafPa, 0x5f07n); // AP[1] clear: privileged only
      expect(s.walk(0x1000, PERM_READ)).toMatchObject({ status: WALK_PERMISSION, perm: 0 });
      s.mem.writeU64(leafPa, 0x5f47n);
      s.mem.writeU64(0x1000_2000, 0x4000_0000_1000_3003n); // APTable[1]: no write below
      expect(s.walk(0x1000, PERM_WRITE)).toMatchObject({ status: WALK_PERMISSION, perm: PERM_READ });
      expect(s.walk(0x1000, PERM_READ).status).toBe(WALK_OK);
    });
  });

  it.each([
    [{ stage: 1, granule: '8K', inputBits: 48 }, /granule/],
    [{ stage: 1, granule: '4K', inputBits: 24 }, /input size/],
    [{ stage: 1, granule: '4K', inputBits: 52 }, /input size/],
    [{ stage: 1, granule: '4K', inputBits: 48, outputBits: 50 }, /output size/],
  ])('rejects %o with a typed error', (opts, message) => {
    let caught: unknown;
    try {
      armVmsav8Format(opts as ArmVmsav8Options);
    } catch (e) {
      caught = e;
    }
    expect(isCoreError(caught) && caught.code).toBe('INVALID_ARGUMENT');
    expect(String((caught as Error).message)).toMatch(message);
  });
});

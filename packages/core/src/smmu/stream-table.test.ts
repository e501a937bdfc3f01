// SPDX-License-Identifier: Apache-2.0
// STE and CD layouts (IHI 0070 §5.2, §5.4) as Linux's arm_smmu_make_*_ste() / arm_smmu_make_s1_cd()
// write them, and the hardware's lookups of linear and two-level tables.

import { describe, expect, it } from 'vitest';
import { PhysMemory } from '../memory/phys-memory';
import { CdTable, fetchCd, LINUX_MAIR, s1Cd } from './context-descriptor';
import {
  abortSte,
  bypassSte,
  cdTableSte,
  S1FMT,
  StreamTable,
  s2DomainSte,
  s2sl0Of,
  startLevelOfSl0,
} from './stream-table';

const word = (v: bigint, n: number) => (v >> BigInt(64 * n)) & 0xffff_ffff_ffff_ffffn;

describe('stream table entries', () => {
  it('builds abort, bypass (SHCFG incoming), stage-1 and stage-2 STEs word by word', () => {
    expect([word(abortSte(), 0), word(abortSte(), 1)]).toEqual([1n, 0n]);
    expect([word(bypassSte(), 0), word(bypassSte(), 1)]).toEqual([0x9n, 1n << 44n]);
    const s1 = cdTableSte({ cdTablePa: 0x1234_0040, s1cdmax: 0, s1fmt: S1FMT.LINEAR, el2: true, ats: true });
    expect(word(s1, 0)).toBe(0x1234_0040n | 0xbn); // V, Config = S1 trans
    // S1DSS = SSID0, S1CIR/COR = WBRA, S1CSH = IS, EATS = trans (bit 28), STRW = EL2 (bits 31:30)
    expect(word(s1, 1)).toBe(0x2n | (1n << 2n) | (1n << 4n) | (3n << 6n) | (1n << 28n) | (2n << 30n));
    const s2 = s2DomainSte({ vmid: 9, ttbPa: 0x8000_1000, t0sz: 16, sl0: 2, tg: 0, ps: 5, ats: false });
    expect(word(s2, 0)).toBe(0xdn);
    const vtcr = 16n | (2n << 6n) | (1n << 8n) | (1n << 10n) | (3n << 12n) | (5n << 16n);
    expect(word(s2, 2)).toBe(9n | (vtcr << 32n) | (1n << 51n) | (1n << 54n) | (1n << 58n));
    expect(word(s2, 3)).toBe(0x8000_1000n);
  });

  it('encodes S2SL0 per granule and decodes it back', () => {
    expect([s2sl0Of(12, 0), s2sl0Of(12, 1), s2sl0Of(12, 2)]).toEqual([2, 1, 0]);
    expect([s2sl0Of(16, 1), s2sl0Of(16, 2), s2sl0Of(14, 0)]).toEqual([2, 1, 3]);
    for (const [g, l] of [
      [12, 0],
      [12, 2],
      [14, 1],
      [16, 1],
      [16, 3],
    ] as const)
      expect(startLevelOfSl0(g, s2sl0Of(g, l))).toBe(l);
    // SL0 = 3: reserved with 4 KiB and 64 KiB granules, level 0 with 16 KiB.
    expect([startLevelOfSl0(12, 3), startLevelOfSl0(16, 3), startLevelOfSl0(14, 3)]).toEqual([-1, -1, 0]);
  });

  it('looks SIDs up in a two-level table: invalid L1 and SIDs past LOG2SIZE are C_BAD_STREAMID', () => {
    const mem = new PhysMemory();
    const st = new StreamTable(mem, 16, true);
    expect(st.baseCfg).toBe(16n | (8n << 6n) | (1n << 16n));
    expect(st.lookup(0x0100)).toMatchObject({ ok: false, event: 'C_BAD_STREAMID', reads: 1 });
    st.ensure(0x0100);
    st.write(0x0105, bypassSte());
    expect(st.lookup(0x0105)).toMatchObject({ ok: true, ste: bypassSte(), reads: 2 });
    expect(st.lookup(0x01ff)).toMatchObject({ ok: true, ste: abortSte() }); // Linux's initial STEs abort
    expect(st.lookup(0x1_0000)).toMatchObject({ ok: false, event: 'C_BAD_STREAMID', reads: 0 });
    // A level-1 descriptor pointing into memory never written: an abort on the fetch.
    mem.writeU64(st.basePa + 8 * 2, (0x7_0000_0000n & ~63n) | 9n);
    expect(st.lookup(0x0200)).toMatchObject({ ok: false, event: 'F_STE_FETCH', fetchAddr: 0x7_0000_0000 });
  });

  it('keeps a linear table for small SID spaces, every STE aborting', () => {
    const st = new StreamTable(new PhysMemory(), 8, false);
    expect(st.baseCfg).toBe(8n);
    expect(st.lookup(0xff)).toMatchObject({ ok: true, ste: abortSte(), reads: 1 });
    expect(st.lookup(0x100)).toMatchObject({ ok: false, event: 'C_BAD_STREAMID' });
  });
});

describe('context descriptors', () => {
  it('builds a stage-1 CD as arm_smmu_make_s1_cd() does', () => {
    const cd = s1Cd({ asid: 3, ttb0: 0x1000_0000, t0sz: 16, tg0: 0, ips: 5 });
    const w0 = 16n | (1n << 8n) | (1n << 10n) | (3n << 12n) | (1n << 30n) | (1n << 31n) | (5n << 32n);
    expect(word(cd, 0)).toBe(w0 | (1n << 41n) | (1n << 45n) | (1n << 46n) | (1n << 47n) | (3n << 48n));
    expect([word(cd, 1), word(cd, 2), word(cd, 3)]).toEqual([0x1000_0000n, 0n, LINUX_MAIR]);
  });

  it('fetches from linear and two-level tables, with the spec events for bad SSIDs and L1CDs', () => {
    const mem = new PhysMemory();
    const linear = new CdTable(mem, 4, true);
    expect(linear.s1fmt).toBe(S1FMT.LINEAR);
    linear.write(5, 0x8000_0000n);
    expect(fetchCd(mem, linear.tablePa, S1FMT.LINEAR, 4, 5)).toEqual({ ok: true, cd: 0x8000_0000n, reads: 1 });
    expect(fetchCd(mem, linear.tablePa, S1FMT.LINEAR, 4, 16)).toMatchObject({ ok: false, event: 'C_BAD_SUBSTREAMID' });
    const two = new CdTable(mem, 20, true);
    expect(two.s1fmt).toBe(S1FMT.L2_64K);
    expect(fetchCd(mem, two.tablePa, two.s1fmt, 20, 5000)).toMatchObject({ ok: false, event: 'C_BAD_CD', reads: 1 });
    two.write(5000, 0x8000_0001n);
    expect(fetchCd(mem, two.tablePa, two.s1fmt, 20, 5000)).toEqual({ ok: true, cd: 0x8000_0001n, reads: 2 });
    mem.writeWide(two.tablePa + 8, 8, (0x6_0000_0000n & ~0xfffn) | 1n); // L1CD 1 -> unwritten memory
    expect(fetchCd(mem, two.tablePa, two.s1fmt, 20, 1024)).toMatchObject({ ok: false, event: 'F_CD_FETCH' });
    const capped = new CdTable(mem, 20, false); // no CD2L: a linear table of at most 1024 CDs
    expect([capped.s1fmt, capped.s1cdmax]).toEqual([S1FMT.LINEAR, 10]);
  });
});

// SPDX-License-Identifier: Apache-2.0
// The SMMUv3 stream table (IHI 0070 G.b §3.3 "Data structures and translation procedure", §5.2
// "Stream Table Entry"): a linear table of 64-byte STEs indexed by StreamID, or a two-level table
// whose level-1 descriptors (L1STD, §5.1) each point to 2^(Span-1) STEs. Linux builds the
// two-level form with SPLIT = 8 (256 STEs, one PCI bus, per level-2 table) and allocates a
// level-2 table when the first device of its range is added (arm_smmu_init_l2_strtab()); level-2
// tables start with every STE aborting (arm_smmu_init_initial_stes(), disable_bypass).
//
// STEs are built as Linux builds them: arm_smmu_make_abort_ste(), arm_smmu_make_bypass_ste(),
// arm_smmu_make_cdtable_ste() (stage 1) and arm_smmu_make_s2_domain_ste() (stage 2).

import { type FieldName, getAddress, getNumber, pack } from '../bits/bitfield';
import type { PhysMemory } from '../memory/phys-memory';
import { L1STD, STE, STRTAB_BASE_CFG } from './fields';

export const STE_BYTES = 64;
/** Linux STRTAB_SPLIT: SID bits resolved by a level-2 table. */
export const STRTAB_SPLIT = 8;
export const STE_CONFIG = { ABORT: 0, BYPASS: 4, S1: 5, S2: 6, NESTED: 7 } as const;
export const S1DSS = { TERMINATE: 0, BYPASS: 1, SSID0: 2 } as const;
export const S1FMT = { LINEAR: 0, L2_4K: 1, L2_64K: 2 } as const;
export const STRW = { NSEL1: 0, EL2: 2 } as const;
export const EATS = { ABT: 0, TRANS: 1, S1CHK: 2 } as const;

/** TG encodings of CD.TG0 and STE.S2TG -> granule log2 (0: 4 KiB, 1: 64 KiB, 2: 16 KiB). */
export const TG_LG2: readonly (number | undefined)[] = [12, 16, 14, undefined];
export function tgOf(granuleLg2: number): number {
  return granuleLg2 === 12 ? 0 : granuleLg2 === 16 ? 1 : 2;
}

/** VTCR.SL0 for a stage-2 table whose root is at Arm level `startLevel` (Linux: ~sl & 3, sl + 1 for 4 KiB). */
export function s2sl0Of(granuleLg2: number, startLevel: number): number {
  const sl = granuleLg2 === 12 ? startLevel + 1 : startLevel;
  return ~sl & 3;
}
/** The Arm start level a VTCR.SL0 names (the inverse of s2sl0Of; -1 when reserved). */
export function startLevelOfSl0(granuleLg2: number, sl0: number): number {
  if (granuleLg2 === 12) return sl0 === 3 ? -1 : 2 - sl0;
  if (granuleLg2 === 16 && sl0 === 3) return -1;
  return 3 - sl0;
}

/** arm_smmu_make_abort_ste(): V with Config = abort. */
export function abortSte(): bigint {
  return pack(STE, { V: 1, Config: STE_CONFIG.ABORT });
}
/** arm_smmu_make_bypass_ste(): V, Config = bypass, SHCFG = incoming. */
export function bypassSte(): bigint {
  return pack(STE, { V: 1, Config: STE_CONFIG.BYPASS, SHCFG: 1 });
}

export interface CdTableSte {
  cdTablePa: number;
  /** log2 of the number of CDs (0: one CD, no SubstreamIDs). */
  s1cdmax: number;
  s1fmt: number;
  /** STRW: EL2 with a VHE kernel (ARM_SMMU_FEAT_E2H), else NS-EL1. */
  el2: boolean;
  ats: boolean;
}
/** arm_smmu_make_cdtable_ste(): stage 1 through a CD table; non-PASID traffic uses CD 0 (S1DSS = SSID0). */
export function cdTableSte(c: CdTableSte): bigint {
  return pack(
    STE,
    {
      V: 1,
      Config: STE_CONFIG.S1,
      S1Fmt: c.s1fmt,
      S1CDMax: c.s1cdmax,
      S1DSS: S1DSS.SSID0,
      S1CIR: 1, // WBRA
      S1COR: 1,
      S1CSH: 3, // inner shareable
      EATS: c.ats ? EATS.TRANS : EATS.ABT,
      STRW: c.el2 ? STRW.EL2 : STRW.NSEL1,
    },
    { S1ContextPtr: c.cdTablePa },
  );
}

export interface S2Ste {
  vmid: number;
  ttbPa: number;
  t0sz: number;
  sl0: number;
  tg: number;
  ps: number;
  ats: boolean;
}
/** arm_smmu_make_s2_domain_ste(): stage 2 with VTCR fields, S2AA64, S2PTW, S2R (record faults). */
export function s2DomainSte(c: S2Ste): bigint {
  return pack(
    STE,
    {
      V: 1,
      Config: STE_CONFIG.S2,
      EATS: c.ats ? EATS.TRANS : EATS.ABT,
      SHCFG: 1,
      S2VMID: c.vmid,
      S2T0SZ: c.t0sz,
      S2SL0: c.sl0,
      S2IR0: 1,
      S2OR0: 1,
      S2SH0: 3,
      S2TG: c.tg,
      S2PS: c.ps,
      S2AA64: 1,
      S2PTW: 1,
      S2R: 1,
    },
    { S2TTB: c.ttbPa },
  );
}

export function steField(ste: bigint, name: FieldName<typeof STE>): number {
  return getNumber(ste, STE, name);
}

/** Outcome of finding a StreamID's STE (the hardware's walk of the stream table). */
export type SteLookup =
  | { ok: true; steAddr: number; ste: bigint; reads: number }
  | { ok: false; event: 'C_BAD_STREAMID' | 'F_STE_FETCH'; fetchAddr: number; reads: number };

/** The stream table of one SMMU in simulated memory, and the registers that describe it. */
export class StreamTable {
  readonly basePa: number;
  readonly twoLevel: boolean;
  readonly log2Size: number;
  /** Level-2 tables by level-1 index (allocated as devices appear). */
  private readonly l2 = new Map<number, number>();

  constructor(
    private readonly mem: PhysMemory,
    sidBits: number,
    twoLevel: boolean,
  ) {
    this.twoLevel = twoLevel;
    this.log2Size = sidBits;
    if (twoLevel) {
      // arm_smmu_init_strtab_2lvl(): one 8-byte L1STD per 256 StreamIDs, all invalid (Span 0).
      const l1Bytes = 8 * 2 ** Math.max(0, sidBits - STRTAB_SPLIT);
      this.basePa = mem.allocTableBlock(Math.max(1, l1Bytes / 4096));
    } else {
      // arm_smmu_init_strtab_linear(): every STE written at once (aborting).
      const bytes = STE_BYTES * 2 ** sidBits;
      this.basePa = mem.allocTableBlock(Math.max(1, bytes / 4096));
      for (let sid = 0; sid < 2 ** sidBits; sid++) mem.writeWide(this.basePa + sid * STE_BYTES, STE_BYTES, abortSte());
    }
  }

  /** SMMU_STRTAB_BASE_CFG as Linux programs it. */
  get baseCfg(): bigint {
    return pack(STRTAB_BASE_CFG, {
      LOG2SIZE: this.log2Size,
      SPLIT: this.twoLevel ? STRTAB_SPLIT : 0,
      FMT: this.twoLevel ? 1 : 0,
    });
  }

  /** arm_smmu_init_sid_strtab(): makes sure the STE of `sid` exists (a level-2 table for its range). */
  ensure(sid: number): void {
    if (!this.twoLevel) return;
    const l1 = Math.floor(sid / 2 ** STRTAB_SPLIT);
    if (this.l2.has(l1)) return;
    const l2Pa = this.mem.allocTableBlock((STE_BYTES * 2 ** STRTAB_SPLIT) / 4096);
    for (let i = 0; i < 2 ** STRTAB_SPLIT; i++) this.mem.writeWide(l2Pa + i * STE_BYTES, STE_BYTES, abortSte());
    this.l2.set(l1, l2Pa);
    // arm_smmu_write_strtab_l1_desc(): Span = SPLIT + 1.
    this.mem.writeU64(this.basePa + 8 * l1, pack(L1STD, { Span: STRTAB_SPLIT + 1 }, { L2Ptr: l2Pa }));
  }

  /** Address of the STE of `sid` as software sees it (after ensure()). */
  steAddr(sid: number): number {
    if (!this.twoLevel) return this.basePa + sid * STE_BYTES;
    const l2 = this.l2.get(Math.floor(sid / 2 ** STRTAB_SPLIT));
    if (l2 === undefined) throw new RangeError(`no level-2 stream table for SID 0x${sid.toString(16)}`);
    return l2 + (sid % 2 ** STRTAB_SPLIT) * STE_BYTES;
  }

  write(sid: number, ste: bigint): void {
    this.mem.writeWide(this.steAddr(sid), STE_BYTES, ste);
  }
  read(sid: number): bigint {
    return this.mem.readWide(this.steAddr(sid), STE_BYTES);
  }

  /**
   * The hardware's lookup (§3.3.2): range check against LOG2SIZE, the L1STD (Span 0 or a SID past
   * the span: C_BAD_STREAMID, as QEMU's smmu_find_ste() reports it), then the STE. A pointer into
   * memory never written is F_STE_FETCH (the model's external abort, as walk.ts's bad pointer).
   */
  lookup(sid: number): SteLookup {
    if (sid >= 2 ** this.log2Size) return { ok: false, event: 'C_BAD_STREAMID', fetchAddr: 0, reads: 0 };
    if (!this.twoLevel) return this.fetch(this.basePa + sid * STE_BYTES, 0);
    const l1Addr = this.basePa + 8 * Math.floor(sid / 2 ** STRTAB_SPLIT);
    if (this.mem.words(Math.floor(l1Addr / 4096)) === undefined)
      return { ok: false, event: 'F_STE_FETCH', fetchAddr: l1Addr, reads: 1 };
    const l1 = this.mem.readU64(l1Addr);
    const span = getNumber(l1, L1STD, 'Span');
    const idx = sid % 2 ** STRTAB_SPLIT;
    if (span === 0 || span > 12 || idx >= 2 ** (span - 1))
      return { ok: false, event: 'C_BAD_STREAMID', fetchAddr: 0, reads: 1 };
    return this.fetch(getAddress(l1, L1STD, 'L2Ptr') + idx * STE_BYTES, 1);
  }

  private fetch(addr: number, reads: number): SteLookup {
    if (this.mem.words(Math.floor(addr / 4096)) === undefined)
      return { ok: false, event: 'F_STE_FETCH', fetchAddr: addr, reads: reads + 1 };
    return { ok: true, steAddr: addr, ste: this.mem.readWide(addr, STE_BYTES), reads: reads + 1 };
  }
}

// SPDX-License-Identifier: Apache-2.0
// SMMUv3 context descriptors (IHI 0070 G.b §5.4 "Context Descriptor"): the stage-1 configuration
// of one SubstreamID — ASID, TTB0 and the TCR fields (T0SZ, TG0, IRGN0/ORGN0/SH0, IPS, EPD1, AA64)
// — in a table an STE points to: linear (S1Fmt = 0), or two-level with 1024 CDs per level-2
// table (S1Fmt = 2, §5.3 L1CD), which Linux uses once a master has more than 1024 SubstreamIDs
// (arm_smmu_alloc_cd_tables(); CTXDESC_L2_ENTRIES). Level-2 tables are allocated as SSIDs are
// used (arm_smmu_alloc_cd_ptr()). CDs are built as arm_smmu_make_s1_cd() builds them.

import { type FieldName, getAddress, getField, getNumber, pack } from '../bits/bitfield';
import type { PhysMemory } from '../memory/phys-memory';
import { CD, L1CD } from './fields';
import { S1FMT } from './stream-table';

export const CD_BYTES = 64;
/** Linux CTXDESC_L2_ENTRIES: CDs per level-2 table (64 KiB). */
export const CTXDESC_L2_ENTRIES = 1024;
/** Linux CTXDESC_LINEAR_CDMAX: log2 of the CDs in a linear table of at most 64 KiB. */
export const CTXDESC_LINEAR_CDMAX = 10;

/** Linux's MAIR for io-pgtable stage 1: index 0 Normal NC, 1 Normal WBRWA, 2 Device-nGnRE. */
export const LINUX_MAIR = 0x0004ff44n;

export interface S1Cd {
  asid: number;
  ttb0: number;
  t0sz: number;
  tg0: number;
  ips: number;
}
/**
 * arm_smmu_make_s1_cd(): V, TCR (T0SZ, TG0, WBWA inner/outer, inner shareable, EPD1, IPS), R and A
 * (record faults, abort on fault), ASET, AA64, the ASID, TTB0 and MAIR.
 */
export function s1Cd(c: S1Cd): bigint {
  return pack(
    CD,
    {
      T0SZ: c.t0sz,
      TG0: c.tg0,
      IR0: 1,
      OR0: 1,
      SH0: 3,
      EPD1: 1,
      V: 1,
      IPS: c.ips,
      AA64: 1,
      R: 1,
      A: 1,
      ASET: 1,
      ASID: c.asid,
      MAIR0: LINUX_MAIR,
    },
    { TTB0: c.ttb0 },
  );
}

export function cdField(cd: bigint, name: FieldName<typeof CD>): number {
  return getNumber(cd, CD, name);
}

export type CdLookup =
  | { ok: true; cd: bigint; reads: number }
  | { ok: false; event: 'C_BAD_SUBSTREAMID' | 'C_BAD_CD' | 'F_CD_FETCH'; fetchAddr: number; reads: number };

/**
 * The hardware's CD fetch (§3.3.2): the SSID must be below 2^S1CDMax, a two-level table's L1CD
 * must be valid (else C_BAD_CD), and memory never written is F_CD_FETCH (the model's abort).
 */
export function fetchCd(mem: PhysMemory, tablePa: number, s1fmt: number, s1cdmax: number, ssid: number): CdLookup {
  if (ssid >= 2 ** s1cdmax) return { ok: false, event: 'C_BAD_SUBSTREAMID', fetchAddr: 0, reads: 0 };
  let addr = tablePa + ssid * CD_BYTES;
  let reads = 0;
  if (s1fmt !== S1FMT.LINEAR) {
    const perL2 = s1fmt === S1FMT.L2_64K ? CTXDESC_L2_ENTRIES : 64;
    const l1Addr = tablePa + 8 * Math.floor(ssid / perL2);
    reads++;
    if (mem.words(Math.floor(l1Addr / 4096)) === undefined)
      return { ok: false, event: 'F_CD_FETCH', fetchAddr: l1Addr, reads };
    const l1 = mem.readU64(l1Addr);
    if (getField(l1, L1CD, 'V') === 0n) return { ok: false, event: 'C_BAD_CD', fetchAddr: 0, reads };
    addr = getAddress(l1, L1CD, 'L2Ptr') + (ssid % perL2) * CD_BYTES;
  }
  reads++;
  if (mem.words(Math.floor(addr / 4096)) === undefined)
    return { ok: false, event: 'F_CD_FETCH', fetchAddr: addr, reads };
  return { ok: true, cd: mem.readWide(addr, CD_BYTES), reads };
}

/** One master's CD table (Linux: struct arm_smmu_ctx_desc_cfg, owned by the master since v6.7). */
export class CdTable {
  readonly tablePa: number;
  readonly s1fmt: number;
  /** log2 of the CDs the table can hold (STE.S1CDMax). */
  readonly s1cdmax: number;
  private readonly l2 = new Map<number, number>();

  constructor(
    private readonly mem: PhysMemory,
    ssidBits: number,
    twoLevelSupported: boolean,
  ) {
    // arm_smmu_probe_device(): without CD2L a master's SSIDs are capped at CTXDESC_LINEAR_CDMAX (64 KiB of CDs).
    this.s1cdmax = twoLevelSupported ? ssidBits : Math.min(ssidBits, CTXDESC_LINEAR_CDMAX);
    const cds = 2 ** this.s1cdmax;
    if (!twoLevelSupported || cds <= CTXDESC_L2_ENTRIES) {
      this.s1fmt = S1FMT.LINEAR;
      this.tablePa = mem.allocTableBlock(Math.max(1, (cds * CD_BYTES) / 4096));
    } else {
      this.s1fmt = S1FMT.L2_64K;
      this.tablePa = mem.allocTableBlock(Math.max(1, (8 * (cds / CTXDESC_L2_ENTRIES)) / 4096));
    }
  }

  /** arm_smmu_get_cd_ptr() / arm_smmu_alloc_cd_ptr(): the address of CD `ssid`, allocating its level-2 table. */
  cdAddr(ssid: number): number {
    if (this.s1fmt === S1FMT.LINEAR) return this.tablePa + ssid * CD_BYTES;
    const l1 = Math.floor(ssid / CTXDESC_L2_ENTRIES);
    let l2 = this.l2.get(l1);
    if (l2 === undefined) {
      l2 = this.mem.allocTableBlock((CTXDESC_L2_ENTRIES * CD_BYTES) / 4096);
      this.l2.set(l1, l2);
      this.mem.writeU64(this.tablePa + 8 * l1, pack(L1CD, { V: 1 }, { L2Ptr: l2 }));
    }
    return l2 + (ssid % CTXDESC_L2_ENTRIES) * CD_BYTES;
  }

  write(ssid: number, cd: bigint): void {
    this.mem.writeWide(this.cdAddr(ssid), CD_BYTES, cd);
  }
  read(ssid: number): bigint {
    return this.mem.readWide(this.cdAddr(ssid), CD_BYTES);
  }
}

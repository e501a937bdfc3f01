// SPDX-License-Identifier: Apache-2.0
// SMMUv3 commands (IHI 0070 G.b §4 "Commands"): 16-byte entries, opcode in bits 7:0. Encoders
// follow Linux's arm_smmu_cmdq_build_cmd(); the unit decodes the same field tables.

import { type FieldTable, getField, pack } from '../bits/bitfield';

export const CMD_BYTES = 16;

/** Opcodes (§4.1 Table 4.1, Linux CMDQ_OP_*). */
export const OP = {
  PREFETCH_CONFIG: 0x01,
  PREFETCH_ADDR: 0x02,
  CFGI_STE: 0x03,
  CFGI_STE_RANGE: 0x04, // Linux CMDQ_OP_CFGI_ALL: a range of 2^32 StreamIDs
  CFGI_CD: 0x05,
  CFGI_CD_ALL: 0x06,
  CFGI_VMS_PIDM: 0x07,
  TLBI_NH_ALL: 0x10,
  TLBI_NH_ASID: 0x11,
  TLBI_NH_VA: 0x12,
  TLBI_NH_VAA: 0x13,
  TLBI_EL3_ALL: 0x18,
  TLBI_EL3_VA: 0x1a,
  TLBI_EL2_ALL: 0x20,
  TLBI_EL2_ASID: 0x21,
  TLBI_EL2_VA: 0x22,
  TLBI_EL2_VAA: 0x23,
  TLBI_S12_VMALL: 0x28,
  TLBI_S2_IPA: 0x2a,
  TLBI_NSNH_ALL: 0x30,
  ATC_INV: 0x40,
  PRI_RESP: 0x41,
  RESUME: 0x44,
  STALL_TERM: 0x45,
  SYNC: 0x46,
} as const;

export const OP_NAME: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(OP).map(([k, v]) => [v, `CMD_${k}`]),
);

/** Fields over the 128-bit command (word 0 = bits 63:0, word 1 = bits 127:64). */
export const CMD: FieldTable = { OPCODE: [7, 0], SSV: [11, 11] };
export const CMD_PREFETCH: FieldTable = { OPCODE: [7, 0], SID: [63, 32] };
export const CMD_CFGI: FieldTable = { OPCODE: [7, 0], SSID: [31, 12], SID: [63, 32], LEAF: [64, 64], RANGE: [68, 64] };
export const CMD_TLBI: FieldTable = {
  OPCODE: [7, 0],
  NUM: [16, 12],
  SCALE: [24, 20],
  VMID: [47, 32],
  ASID: [63, 48],
  LEAF: [64, 64],
  TTL: [73, 72],
  TG: [75, 74],
  ADDR: [127, 76],
};
export const CMD_ATC_INV: FieldTable = {
  OPCODE: [7, 0],
  GLOBAL: [9, 9],
  SSV: [11, 11],
  SSID: [31, 12],
  SID: [63, 32],
  SIZE: [69, 64],
  ADDR: [127, 76],
};
export const CMD_PRI_RESP: FieldTable = {
  OPCODE: [7, 0],
  SSV: [11, 11],
  SSID: [31, 12],
  SID: [63, 32],
  PRGI: [72, 64],
  RESP: [77, 76],
};
export const CMD_SYNC: FieldTable = {
  OPCODE: [7, 0],
  CS: [13, 12],
  MSH: [23, 22],
  MSIATTR: [27, 24],
  MSIDATA: [63, 32],
  MSIADDR: [115, 66],
};
export const SYNC_CS = { NONE: 0, IRQ: 1, SEV: 2 } as const;
export const PRI_RESP = { DENY: 0, FAIL: 1, SUCC: 2 } as const;
/** Linux ATC_INV_SIZE_ALL: an ATC_INV of every address. */
export const ATC_INV_SIZE_ALL = 52;

export function opcodeOf(cmd: bigint): number {
  return Number(cmd & 0xffn);
}
export function field(cmd: bigint, table: FieldTable, name: string): number {
  return Number(getField(cmd, table[name]!));
}

export function cfgiSte(sid: number, leaf = true): bigint {
  return pack(CMD_CFGI, { OPCODE: OP.CFGI_STE, SID: sid, LEAF: leaf ? 1 : 0 });
}
/** Linux CMDQ_OP_CFGI_ALL: CFGI_STE_RANGE over every StreamID (Range = 31). */
export function cfgiAll(): bigint {
  return pack(CMD_CFGI, { OPCODE: OP.CFGI_STE_RANGE, RANGE: 31 });
}
export function cfgiCd(sid: number, ssid: number, leaf = true): bigint {
  return pack(CMD_CFGI, { OPCODE: OP.CFGI_CD, SID: sid, SSID: ssid, LEAF: leaf ? 1 : 0 });
}
export function cfgiCdAll(sid: number): bigint {
  return pack(CMD_CFGI, { OPCODE: OP.CFGI_CD_ALL, SID: sid });
}
export function prefetchConfig(sid: number): bigint {
  return pack(CMD_PREFETCH, { OPCODE: OP.PREFETCH_CONFIG, SID: sid });
}

export interface TlbiFields {
  asid?: number;
  vmid?: number;
  /** Address (VA or IPA); bits below 12 are dropped. */
  addr?: number;
  leaf?: boolean;
  /** Range invalidation (IDR3.RIL): NUM, SCALE, TTL, TG as Linux's __arm_smmu_tlb_inv_range() sets them. */
  num?: number;
  scale?: number;
  ttl?: number;
  tg?: number;
}
/** A TLBI command of opcode `op` (NH_ASID, NH_VA, EL2_VA, S12_VMALL, S2_IPA, NSNH_ALL, EL2_ALL...). */
export function tlbi(op: number, f: TlbiFields = {}): bigint {
  return pack(CMD_TLBI, {
    OPCODE: op,
    NUM: f.num ?? 0,
    SCALE: f.scale ?? 0,
    VMID: f.vmid ?? 0,
    ASID: f.asid ?? 0,
    LEAF: f.leaf ? 1 : 0,
    TTL: f.ttl ?? 0,
    TG: f.tg ?? 0,
    ADDR: BigInt(Math.floor((f.addr ?? 0) / 4096)),
  });
}

/** arm_smmu_atc_inv_to_cmd() for one StreamID: `size` is log2 pages (ATC_INV_SIZE_ALL for everything). */
export function atcInv(sid: number, ssid: number, addr: number, sizeLg2Pages: number): bigint {
  return pack(CMD_ATC_INV, {
    OPCODE: OP.ATC_INV,
    SSV: ssid > 0 ? 1 : 0,
    SSID: ssid,
    SID: sid,
    SIZE: sizeLg2Pages,
    ADDR: BigInt(Math.floor(addr / 4096)),
  });
}

export function priResp(sid: number, ssid: number, ssv: boolean, grpid: number, resp: number): bigint {
  return pack(CMD_PRI_RESP, { OPCODE: OP.PRI_RESP, SSV: ssv ? 1 : 0, SSID: ssid, SID: sid, PRGI: grpid, RESP: resp });
}

/**
 * arm_smmu_cmdq_build_sync_cmd(): CS = IRQ with the MSI address of the command itself when Linux
 * polls an MSI (ARM_SMMU_OPT_MSIPOLL: the SMMU writes MSIDATA = 0 over the command's first word),
 * else CS = SEV (completion seen as CONS passing the command). MSH = inner shareable, MSIAttr = WB.
 */
export function cmdSync(msiAddr: number): bigint {
  return pack(CMD_SYNC, {
    OPCODE: OP.SYNC,
    CS: msiAddr > 0 ? SYNC_CS.IRQ : SYNC_CS.SEV,
    MSH: 3,
    MSIATTR: 0xf,
    MSIADDR: BigInt(Math.floor(msiAddr / 4)),
  });
}

/** Range decoding of NUM/SCALE/TG (§4.4.1): bytes covered from ADDR, or 0 for a single address (TG = 0). */
export function tlbiRangeBytes(cmd: bigint): number {
  const tg = field(cmd, CMD_TLBI, 'TG');
  if (tg === 0) return 0;
  const granuleLg2 = tg === 1 ? 12 : tg === 2 ? 14 : 16;
  return (field(cmd, CMD_TLBI, 'NUM') + 1) * 2 ** (field(cmd, CMD_TLBI, 'SCALE') + granuleLg2);
}

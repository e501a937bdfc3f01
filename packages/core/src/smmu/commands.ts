// SPDX-License-Identifier: Apache-2.0
// SMMUv3 commands (IHI 0070 G.b §4 "Commands"): 16-byte entries, opcode in bits 7:0. Encoders
// follow Linux's arm_smmu_cmdq_build_cmd(); the unit decodes the same field tables.

import {
  type CompiledField,
  compile,
  type FieldName,
  type FieldTable,
  getNumber,
  pack,
  readField,
  wordField,
} from '../bits/bitfield';
import { CMD, CMD_ATC_INV, CMD_CFGI, CMD_PREFETCH, CMD_PRI_RESP, CMD_SYNC, CMD_TLBI } from './fields';

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

export const SYNC_CS = { NONE: 0, IRQ: 1, SEV: 2 } as const;
export const PRI_RESP = { DENY: 0, FAIL: 1, SUCC: 2 } as const;
/** Linux ATC_INV_SIZE_ALL: an ATC_INV of every address. */
export const ATC_INV_SIZE_ALL = 52;

/** The opcode, bits 7:0 of every command (CMD's OPCODE), for the 32-bit-word path. */
export const CMD_OPCODE = wordField(CMD, 'OPCODE');

export function opcodeOf(cmd: bigint): number {
  return getNumber(cmd, CMD, 'OPCODE');
}

/**
 * The SMMU reads commands as four 32-bit words (w[0] = bits 31:0 ... w[3] = bits 127:96); the
 * field tables compiled for that path (fields that straddle words are read with the helpers below).
 */
export const CMD_W = {
  CFGI: compile(CMD_CFGI),
  TLBI: compile(CMD_TLBI),
  ATC: compile(CMD_ATC_INV),
  PRI: compile(CMD_PRI_RESP),
  SYNC: compile(CMD_SYNC),
  PREFETCH: compile(CMD_PREFETCH),
} as const;

/** A field from a command's 32-bit words. */
export function wfield(w: ArrayLike<number>, f: CompiledField): number {
  return readField(w, 0, f);
}
/** Bits 127:76 (TLBI and ATC_INV Address, 4 KiB aligned) as a byte address. */
export function waddr(w: ArrayLike<number>): number {
  return (w[2]! >>> 12) * 4096 + w[3]! * 4294967296;
}
/** CMD_SYNC MSIAddress (bits 115:66), a 4-byte-aligned byte address. */
export function wmsiAddr(w: ArrayLike<number>): number {
  return ((w[2]! & ~3) >>> 0) + (w[3]! & 0xfffff) * 4294967296;
}
export function wordsToCmd(w: ArrayLike<number>): bigint {
  return (
    BigInt(w[0]! >>> 0) | (BigInt(w[1]! >>> 0) << 32n) | (BigInt(w[2]! >>> 0) << 64n) | (BigInt(w[3]! >>> 0) << 96n)
  );
}
export function field<T extends FieldTable>(cmd: bigint, table: T, name: FieldName<T>): number {
  return getNumber(cmd, table, name);
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
/**
 * A TLBI command of opcode `op` (NH_ASID, NH_VA, EL2_VA, S12_VMALL, S2_IPA, NSNH_ALL, EL2_ALL...),
 * built from the compiled field table in 32-bit words (strict unmaps issue one per I/O).
 */
export function tlbi(op: number, f: TlbiFields = {}): bigint {
  const w = TLBI_WORDS;
  w.fill(0);
  put(w, T_OPCODE, op);
  put(w, T_NUM, f.num ?? 0);
  put(w, T_SCALE, f.scale ?? 0);
  put(w, T_VMID, f.vmid ?? 0);
  put(w, T_ASID, f.asid ?? 0);
  put(w, T_LEAF, f.leaf ? 1 : 0);
  put(w, T_TTL, f.ttl ?? 0);
  put(w, T_TG, f.tg ?? 0);
  const page = Math.floor((f.addr ?? 0) / 4096);
  w[2] = (w[2]! | ((page % 1048576) << 12)) >>> 0; // Address bits 31:12 in word 2
  w[3] = Math.floor(page / 1048576) >>> 0; // bits 63:32 in word 3
  return wordsToCmd(w);
}

const TLBI_WORDS = new Uint32Array(4);
const T_OPCODE = CMD_W.TLBI.OPCODE!;
const T_NUM = CMD_W.TLBI.NUM!;
const T_SCALE = CMD_W.TLBI.SCALE!;
const T_VMID = CMD_W.TLBI.VMID!;
const T_ASID = CMD_W.TLBI.ASID!;
const T_LEAF = CMD_W.TLBI.LEAF!;
const T_TTL = CMD_W.TLBI.TTL!;
const T_TG = CMD_W.TLBI.TG!;

function put(w: Uint32Array, c: CompiledField, v: number): void {
  w[c.word] = (w[c.word]! | ((v & c.mask) << c.shift)) >>> 0;
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
  return msiAddr > 0 ? SYNC_MSI | (BigInt(Math.floor(msiAddr / 4)) << 66n) : SYNC_SEV;
}
const SYNC_MSI = pack(CMD_SYNC, { OPCODE: OP.SYNC, CS: SYNC_CS.IRQ, MSH: 3, MSIATTR: 0xf });
const SYNC_SEV = pack(CMD_SYNC, { OPCODE: OP.SYNC, CS: SYNC_CS.SEV, MSH: 3, MSIATTR: 0xf });

/** Range decoding of NUM/SCALE/TG (§4.4.1): bytes covered from ADDR, or 0 for a single address (TG = 0). */
export function tlbiRangeBytes(cmd: bigint): number {
  const tg = field(cmd, CMD_TLBI, 'TG');
  if (tg === 0) return 0;
  const granuleLg2 = tg === 1 ? 12 : tg === 2 ? 14 : 16;
  return (field(cmd, CMD_TLBI, 'NUM') + 1) * 2 ** (field(cmd, CMD_TLBI, 'SCALE') + granuleLg2);
}

// SPDX-License-Identifier: Apache-2.0
// The SMMUv3 layouts the model reads or writes, as field tables in the spec's bit numbering (Arm
// SMMUv3 architecture, IHI 0070 G.b): registers, the stream table and its STE, context
// descriptors, commands and event records. One file, as Linux keeps them in
// drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h: the code that uses a layout imports it from here,
// and a misspelt field fails to compile (`as const satisfies FieldTable`).

import type { FieldTable } from '../bits/bitfield';

// Registers (§6.3)

/** §6.3.1 SMMU_IDR0. */
export const IDR0 = {
  S2P: [0, 0],
  S1P: [1, 1],
  TTF: [3, 2],
  COHACC: [4, 4],
  BTM: [5, 5],
  HTTU: [7, 6],
  DORMHINT: [8, 8],
  HYP: [9, 9],
  ATS: [10, 10],
  NS1ATS: [11, 11],
  ASID16: [12, 12],
  MSI: [13, 13],
  SEV: [14, 14],
  ATOS: [15, 15],
  PRI: [16, 16],
  VMW: [17, 17],
  VMID16: [18, 18],
  CD2L: [19, 19],
  VATOS: [20, 20],
  TTENDIAN: [22, 21],
  ATSRECERR: [23, 23],
  STALL_MODEL: [25, 24],
  TERM_MODEL: [26, 26],
  ST_LEVEL: [28, 27],
  RME_IMPL: [30, 30],
} as const satisfies FieldTable;

/** §6.3.2 SMMU_IDR1. */
export const IDR1 = {
  SIDSIZE: [5, 0],
  SSIDSIZE: [10, 6],
  PRIQS: [15, 11],
  EVENTQS: [20, 16],
  CMDQS: [25, 21],
  ATTR_PERMS_OVR: [26, 26],
  ATTR_TYPES_OVR: [27, 27],
  REL: [28, 28],
  QUEUES_PRESET: [29, 29],
  TABLES_PRESET: [30, 30],
  ECMDQ: [31, 31],
} as const satisfies FieldTable;

/** §6.3.4 SMMU_IDR3. */
export const IDR3 = {
  HAD: [2, 2],
  PBHA: [3, 3],
  XNX: [4, 4],
  PPS: [5, 5],
  MPAM: [7, 7],
  FWB: [8, 8],
  STT: [9, 9],
  RIL: [10, 10],
  BBML: [12, 11],
  E0PD: [13, 13],
  PTWNNC: [14, 14],
  DPT: [15, 15],
} as const satisfies FieldTable;

/** §6.3.6 SMMU_IDR5. */
export const IDR5 = {
  OAS: [2, 0],
  GRAN4K: [4, 4],
  GRAN16K: [5, 5],
  GRAN64K: [6, 6],
  VAX: [11, 10],
  STALL_MAX: [31, 16],
} as const satisfies FieldTable;

/** §6.3.9 SMMU_CR0. */
export const CR0 = {
  SMMUEN: [0, 0],
  PRIQEN: [1, 1],
  EVENTQEN: [2, 2],
  CMDQEN: [3, 3],
  ATSCHK: [4, 4],
  VMW: [8, 6],
} as const satisfies FieldTable;

/** §6.3.11 SMMU_CR1: queue and table cacheability (Linux: WB, inner shareable). */
export const CR1 = {
  QUEUE_IC: [1, 0],
  QUEUE_OC: [3, 2],
  QUEUE_SH: [5, 4],
  TABLE_IC: [7, 6],
  TABLE_OC: [9, 8],
  TABLE_SH: [11, 10],
} as const satisfies FieldTable;

/** §6.3.12 SMMU_CR2. */
export const CR2 = { E2H: [0, 0], RECINVSID: [1, 1], PTM: [2, 2] } as const satisfies FieldTable;

/** §6.3.14 SMMU_GBPA (bypass attributes while SMMUEN = 0). */
export const GBPA = {
  MEMATTR: [3, 0],
  MTCFG: [4, 4],
  ALLOCCFG: [11, 8],
  SHCFG: [13, 12],
  PRIVCFG: [17, 16],
  INSTCFG: [19, 18],
  ABORT: [20, 20],
  UPDATE: [31, 31],
} as const satisfies FieldTable;

/** §6.3.24 SMMU_STRTAB_BASE. */
export const STRTAB_BASE = { ADDR: [51, 6], RA: [62, 62] } as const satisfies FieldTable;

/** §6.3.25 SMMU_STRTAB_BASE_CFG: FMT 0 linear, 1 two-level. */
export const STRTAB_BASE_CFG = { LOG2SIZE: [5, 0], SPLIT: [10, 6], FMT: [17, 16] } as const satisfies FieldTable;

/** §6.3.26 SMMU_CMDQ_BASE (EVTQ_BASE and PRIQ_BASE have the same layout, §6.3.29/§6.3.33). */
export const Q_BASE = { LOG2SIZE: [4, 0], ADDR: [51, 5], RA: [62, 62] } as const satisfies FieldTable;

/** §6.3.27/28 SMMU_CMDQ_PROD / CONS: index and wrap bit at LOG2SIZE; CONS.ERR; EVTQ overflow flag bit 31. */
export const Q_CONS = { ERR: [30, 24], OVFLG: [31, 31] } as const satisfies FieldTable;

// Stream table: level-1 descriptor and STE (§5.1, §5.2)

/** STE fields (§5.2), bit numbers within the 512-bit entry (word n covers bits 64n+63 .. 64n). */
export const STE = {
  V: [0, 0],
  Config: [3, 1],
  S1Fmt: [5, 4],
  S1ContextPtr: [51, 6],
  S1CDMax: [63, 59],
  S1DSS: [65, 64],
  S1CIR: [67, 66],
  S1COR: [69, 68],
  S1CSH: [71, 70],
  S1STALLD: [91, 91],
  EATS: [93, 92],
  STRW: [95, 94],
  SHCFG: [109, 108],
  PRIVCFG: [113, 112],
  S2VMID: [143, 128],
  S2T0SZ: [165, 160],
  S2SL0: [167, 166],
  S2IR0: [169, 168],
  S2OR0: [171, 170],
  S2SH0: [173, 172],
  S2TG: [175, 174],
  S2PS: [178, 176],
  S2AA64: [179, 179],
  S2ENDI: [180, 180],
  S2AFFD: [181, 181],
  S2PTW: [182, 182],
  S2S: [185, 185],
  S2R: [186, 186],
  S2TTB: [243, 196],
} as const satisfies FieldTable;

/** Level-1 stream table descriptor (§5.1): Span = 0 means no level-2 table. */
export const L1STD = { Span: [4, 0], L2Ptr: [51, 6] } as const satisfies FieldTable;

// Context descriptors (§5.3, §5.4)

/** CD fields (§5.4), bit numbers within the 512-bit descriptor. */
export const CD = {
  T0SZ: [5, 0],
  TG0: [7, 6],
  IR0: [9, 8],
  OR0: [11, 10],
  SH0: [13, 12],
  EPD0: [14, 14],
  ENDI: [15, 15],
  T1SZ: [21, 16],
  TG1: [23, 22],
  EPD1: [30, 30],
  V: [31, 31],
  IPS: [34, 32],
  AFFD: [35, 35],
  WXN: [36, 36],
  UWXN: [37, 37],
  TBI: [39, 38],
  PAN: [40, 40],
  AA64: [41, 41],
  HD: [42, 42],
  HA: [43, 43],
  S: [44, 44],
  R: [45, 45],
  A: [46, 46],
  ASET: [47, 47],
  ASID: [63, 48],
  TTB0: [115, 68],
  TTB1: [179, 132],
  MAIR0: [223, 192],
  MAIR1: [255, 224],
} as const satisfies FieldTable;

/** Level-1 CD descriptor (§5.3). */
export const L1CD = { V: [0, 0], L2Ptr: [51, 12] } as const satisfies FieldTable;

// Command queue commands (§4)

/** Fields over the 128-bit command (word 0 = bits 63:0, word 1 = bits 127:64). */
export const CMD = { OPCODE: [7, 0], SSV: [11, 11] } as const satisfies FieldTable;

export const CMD_PREFETCH = { OPCODE: [7, 0], SID: [63, 32] } as const satisfies FieldTable;

export const CMD_CFGI = {
  OPCODE: [7, 0],
  SSID: [31, 12],
  SID: [63, 32],
  LEAF: [64, 64],
  RANGE: [68, 64],
} as const satisfies FieldTable;

export const CMD_TLBI = {
  OPCODE: [7, 0],
  NUM: [16, 12],
  SCALE: [24, 20],
  VMID: [47, 32],
  ASID: [63, 48],
  LEAF: [64, 64],
  TTL: [73, 72],
  TG: [75, 74],
  ADDR: [127, 76],
} as const satisfies FieldTable;

export const CMD_ATC_INV = {
  OPCODE: [7, 0],
  GLOBAL: [9, 9],
  SSV: [11, 11],
  SSID: [31, 12],
  SID: [63, 32],
  SIZE: [69, 64],
  ADDR: [127, 76],
} as const satisfies FieldTable;

export const CMD_PRI_RESP = {
  OPCODE: [7, 0],
  SSV: [11, 11],
  SSID: [31, 12],
  SID: [63, 32],
  PRGI: [72, 64],
  RESP: [77, 76],
} as const satisfies FieldTable;

export const CMD_SYNC = {
  OPCODE: [7, 0],
  CS: [13, 12],
  MSH: [23, 22],
  MSIATTR: [27, 24],
  MSIDATA: [63, 32],
  MSIADDR: [115, 66],
} as const satisfies FieldTable;

// Event records (§7.3)

/** Record fields (§7.3.12 onwards), bit numbers within the 256-bit record. */
export const EVT_RECORD = {
  TYPE: [7, 0],
  SSV: [11, 11],
  SSID: [31, 12],
  SID: [63, 32],
  STAG: [79, 64],
  STALL: [95, 95],
  PnU: [97, 97],
  InD: [98, 98],
  RnW: [99, 99],
  S2: [103, 103],
  CLASS: [105, 104],
  TTRnW: [108, 108],
  InputAddr: [191, 128],
  IPA: [243, 204],
  FetchAddr: [243, 195],
} as const satisfies FieldTable;

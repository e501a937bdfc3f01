// SPDX-License-Identifier: Apache-2.0
// The VT-d layouts the model reads or writes, as field tables in the spec's bit numbering (Intel
// VT-d Architecture Specification rev 4.1): registers, the root, context and PASID structures, the
// invalidation descriptors, the IRTE and the MSI words. One file, as QEMU keeps them in
// hw/i386/intel_iommu_internal.h: the code that uses a layout imports it from here, and a misspelt
// field fails to compile (`as const satisfies FieldTable`). Reserved masks are derived from the
// tables (every bit an entry does not name). Page-table entries are the formats' own
// (page-table/vtd-*.ts); the context cache's packed entry, the model's own layout, stays with the
// cache that packs it.

import { type FieldTable, unnamedBits } from '../bits/bitfield';

// Registers (§11.4)

/** CAP_REG, offset 0x008 (§11.4.2). */
export const CAP_REG = {
  ND: [2, 0],
  AFL: [3, 3],
  RWBF: [4, 4],
  PLMR: [5, 5],
  PHMR: [6, 6],
  CM: [7, 7],
  SAGAW: [12, 8],
  MGAW: [21, 16],
  ZLR: [22, 22],
  FRO: [33, 24],
  SLLPS: [37, 34],
  PSI: [39, 39],
  NFR: [47, 40],
  MAMV: [53, 48],
  DWD: [54, 54],
  DRD: [55, 55],
  FL1GP: [56, 56],
  PI: [59, 59],
  FL5LP: [60, 60],
} as const satisfies FieldTable;

/** ECAP_REG, offset 0x010 (§11.4.3). */
export const ECAP_REG = {
  C: [0, 0],
  QI: [1, 1],
  DT: [2, 2],
  IR: [3, 3],
  EIM: [4, 4],
  PT: [6, 6],
  SC: [7, 7],
  IRO: [17, 8],
  MHMV: [23, 20],
  NEST: [26, 26],
  PRS: [29, 29],
  PSS: [39, 35],
  PASID: [40, 40],
  SMTS: [43, 43],
  SLTS: [46, 46],
  FLTS: [47, 47],
} as const satisfies FieldTable;

// Legacy-mode root and context entries (§9.1, §9.3)

/** Root entry, 128 bits (§9.1). */
export const ROOT_ENTRY = {
  P: [0, 0],
  CTP: [63, 12],
} as const satisfies FieldTable;
/** Bits 11:1 and 127:64: every bit the entry does not define. */
export const ROOT_ENTRY_RESERVED = unnamedBits(ROOT_ENTRY, 128);

/** Context entry, 128 bits (§9.3). */
export const CONTEXT_ENTRY = {
  P: [0, 0],
  FPD: [1, 1],
  TT: [3, 2],
  SLPTPTR: [63, 12],
  AW: [66, 64],
  AVAIL: [70, 67],
  DID: [87, 72],
} as const satisfies FieldTable;
/** Bits 11:4, 71 and 127:88: every bit the entry does not define. */
export const CONTEXT_ENTRY_RESERVED = unnamedBits(CONTEXT_ENTRY, 128);

// Scalable-mode root and context entries, PASID directory and PASID table entries (§9.2, §9.4-§9.6)

/** Scalable-mode root entry, 128 bits (§9.2): the lower (devfn 0-127) and upper context tables. */
export const SM_ROOT_ENTRY = {
  LP: [0, 0],
  LCTP: [63, 12],
  UP: [64, 64],
  UCTP: [127, 76],
} as const satisfies FieldTable;

/** Scalable-mode context entry, 256 bits (§9.4). */
export const SM_CONTEXT_ENTRY = {
  P: [0, 0],
  FPD: [1, 1],
  DTE: [2, 2],
  PASIDE: [3, 3],
  PRE: [4, 4],
  PDTS: [11, 9],
  PASIDDIRPTR: [63, 12],
  RID_PASID: [83, 64],
  /** RID_PRIV (spec rev 4.1 §9.4): privilege of requests-without-PASID; not reserved. */
  RID_PRIV: [84, 84],
} as const satisfies FieldTable;
/**
 * Reserved bits QEMU checks (VTD_SM_CONTEXT_ENTRY_RSVD_VAL0 0x1e0 = bits 8:5, VAL1
 * 0xffffffffffe00000 = bits 127:85). Bit 84 is RID_PRIV. QEMU checks neither bits above the host
 * address width here (the model's is 52) nor 255:128; the model does as QEMU does.
 */
export const SM_CONTEXT_RESERVED = unnamedBits(SM_CONTEXT_ENTRY, 128);

/** Scalable-mode PASID directory entry, 64 bits (§9.5). */
export const PASID_DIR_ENTRY = { P: [0, 0], FPD: [1, 1], PTP: [63, 12] } as const satisfies FieldTable;

/** Scalable-mode PASID table entry, 512 bits (§9.6); PGTT selects the stage(s). */
export const PASID_ENTRY = {
  P: [0, 0],
  FPD: [1, 1],
  AW: [4, 2],
  PGTT: [8, 6],
  SLADE: [9, 9],
  SLPTPTR: [63, 12],
  DID: [79, 64],
  PWSNP: [87, 87],
  PGSNP: [88, 88],
  SRE: [128, 128],
  FLPM: [131, 130],
  WPE: [132, 132],
  EAFE: [135, 135],
  FLPTPTR: [191, 140],
} as const satisfies FieldTable;

// Invalidation-queue descriptors (§6.5.2)

/** Descriptor layouts as 128-bit field tables (qw0 = bits 63:0, qw1 = bits 127:64). */
export const DESC_COMMON = { TYPE: [3, 0] } as const satisfies FieldTable;

export const DESC_CONTEXT_CACHE = {
  TYPE: [3, 0],
  G: [5, 4],
  DID: [31, 16],
  SID: [47, 32],
  FM: [49, 48],
} as const satisfies FieldTable;

export const DESC_IOTLB = {
  TYPE: [3, 0],
  G: [5, 4],
  DW: [6, 6],
  DR: [7, 7],
  DID: [31, 16],
  AM: [69, 64],
  IH: [70, 70],
  ADDR: [127, 76],
} as const satisfies FieldTable;

export const DESC_DEV_IOTLB = {
  TYPE: [3, 0],
  PFSID_LO: [15, 12],
  QDEP: [20, 16],
  SID: [47, 32],
  PFSID_HI: [63, 52],
  S: [64, 64],
  ADDR: [127, 76],
} as const satisfies FieldTable;

export const DESC_IEC = { TYPE: [3, 0], G: [4, 4], IM: [31, 27], IIDX: [47, 32] } as const satisfies FieldTable;

export const DESC_WAIT = {
  TYPE: [3, 0],
  IF: [4, 4],
  SW: [5, 5],
  FN: [6, 6],
  PD: [7, 7],
  STATUS_DATA: [63, 32],
  STATUS_ADDR: [127, 66],
} as const satisfies FieldTable;

// Interrupt remapping: the IRTE (§9.10) and the MSI address and data (§5.1)

/** IRTE, remapped format (IM=0), 128 bits (§9.10). */
export const IRTE = {
  P: [0, 0],
  FPD: [1, 1],
  DM: [2, 2],
  RH: [3, 3],
  TM: [4, 4],
  DLM: [7, 5],
  AVAIL: [11, 8],
  IM: [15, 15],
  V: [23, 16],
  DST: [63, 32],
  SID: [79, 64],
  SQ: [81, 80],
  SVT: [83, 82],
} as const satisfies FieldTable;
/** Bits 14:12, 31:24 and 127:84: every bit the remapped-format IRTE does not define. */
export const IRTE_RESERVED = unnamedBits(IRTE, 128);

/**
 * The MSI address and data words the unit decodes (§5.1.2.1 remappable format: the handle is
 * split over bits 19:5 and 2, SHV adds the data's subhandle; §5.1.1 compatibility format: the
 * destination id in bits 19:12 and the vector in the data's bits 7:0). Interrupt Format is bit 4.
 */
export const MSI_ADDR = {
  HANDLE_15: [2, 2],
  SHV: [3, 3],
  IF: [4, 4],
  HANDLE_14_0: [19, 5],
  DEST_ID: [19, 12],
  /** 0xFEE: the interrupt address range. */
  BASE: [31, 20],
} as const satisfies FieldTable;

export const MSI_DATA = { VECTOR: [7, 0], SUBHANDLE: [15, 0] } as const satisfies FieldTable;

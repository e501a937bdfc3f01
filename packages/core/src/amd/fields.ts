// SPDX-License-Identifier: Apache-2.0
// The AMD-Vi layouts the model reads or writes, as field tables in the spec's bit numbering (AMD
// I/O Virtualization Technology (IOMMU) Specification #48882 rev 3.x): the device table entry, the
// IRTE, the command buffer's commands. One file, as Linux keeps them in
// drivers/iommu/amd/amd_iommu_types.h: the code that uses a layout imports it from here, and a
// misspelt field fails to compile (`as const satisfies FieldTable`). The model's own packed cache
// entries (the DTE cache's) stay with the cache that packs them.

import { type FieldTable, maskOf } from '../bits/bitfield';

// Device table entry (§2.2.2.1)

/** DTE fields, bit positions within the 256-bit entry. */
export const DTE = {
  V: [0, 0],
  TV: [1, 1],
  HAD: [8, 7],
  Mode: [11, 9],
  PageTableRootPtr: [51, 12],
  PPR: [52, 52],
  GPRP: [53, 53],
  GIoV: [54, 54],
  GV: [55, 55],
  GLX: [57, 56],
  IR: [61, 61],
  IW: [62, 62],
  DomainID: [79, 64],
  I: [96, 96],
  SE: [97, 97],
  SA: [98, 98],
  IoCtl: [100, 99],
  Cache: [101, 101],
  SD: [102, 102],
  EX: [103, 103],
  SysMgt: [105, 104],
  IV: [128, 128],
  IntTabLen: [132, 129],
  IntTableRootPtr: [179, 134],
  InitPass: [184, 184],
  EIntPass: [185, 185],
  NMIPass: [186, 186],
  IntCtl: [189, 188],
  Lint0Pass: [190, 190],
  Lint1Pass: [191, 191],
} as const satisfies FieldTable;

/**
 * Reserved DTE bits, as QEMU checks them since 2025 (hw/i386/amd_iommu.h AMDVI_DTE_QUAD0..3_RESERVED,
 * "Update bitmasks representing DTE reserved fields", from spec §2.2.2.1): quad 0 bits 6:2 and 63,
 * quad 1 none, quad 2 bits 53:52, quad 3 bits 14:0 and 53:48. A valid DTE with any of them set is
 * an ILLEGAL_DEV_TABLE_ENTRY (amdvi_validate_dte()). The older QEMU masks (0x80300000000000fc,
 * 0x100, 0x08f0000000000000 applied to quad 2) reserved PPR/GPRP (52, 53) and bit 72 of the DomainID
 * quad, which Linux uses.
 */
export const DTE_RESERVED = maskOf([
  [6, 2],
  [63, 63],
  [128 + 53, 128 + 52],
  [192 + 14, 192 + 0],
  [192 + 53, 192 + 48],
]);

// Interrupt remapping table entry (§2.2.5)

/** 32-bit IRTE (legacy format, §2.2.5.1). */
export const IRTE32 = {
  RemapEn: [0, 0],
  SupIOPF: [1, 1],
  IntType: [4, 2],
  RqEoi: [5, 5],
  DM: [6, 6],
  GuestMode: [7, 7],
  Destination: [15, 8],
  Vector: [23, 16],
} as const satisfies FieldTable;

// Command buffer commands (§2.4)

/** 128-bit command layouts (data[0] = bits 31:0 ... data[3] = bits 127:96). */
export const CMD = { OPCODE: [63, 60] } as const satisfies FieldTable;

export const CMD_COMPLETION_WAIT = {
  S: [0, 0],
  I: [1, 1],
  ADDR_LO: [31, 3],
  ADDR_HI: [51, 32],
  OPCODE: [63, 60],
  DATA: [127, 64],
} as const satisfies FieldTable;

export const CMD_INV_DTE = { DEVID: [15, 0], OPCODE: [63, 60] } as const satisfies FieldTable;

export const CMD_INV_PAGES = {
  PASID: [19, 0],
  DOMID: [47, 32],
  OPCODE: [63, 60],
  S: [64, 64],
  PDE: [65, 65],
  GN: [66, 66],
  ADDR: [127, 76],
} as const satisfies FieldTable;

export const CMD_INV_IOTLB = {
  DEVID: [15, 0],
  QDEP: [31, 24],
  QUEUEID: [47, 32],
  OPCODE: [63, 60],
  S: [64, 64],
  ADDR: [127, 76],
} as const satisfies FieldTable;

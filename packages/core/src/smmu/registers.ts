// SPDX-License-Identifier: Apache-2.0
// SMMUv3 registers (Arm IHI 0070, rev. G.b, §6.3 "Register formats") as field tables, the
// hardware parameters the model exposes through them, and Linux's reading of them:
// arm_smmu_device_hw_probe() turns the ID registers into features, page sizes and address sizes
// and prints "ias %lu-bit, oas %lu-bit (features 0x%08x)"; arm_smmu_init_one_queue() sizes each
// queue and prints "allocated %u entries for %s" (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c).
//
// Not modelled: the Secure and Realm register pages, IDR2/IDR4 contents, MSI configuration
// registers, PMCG, ECMDQ and NVIDIA's CMDQV (Grace's virtual command queues): one command queue.

import { type FieldName, type FieldTable, getNumber, pack } from '../bits/bitfield';
import { DEFAULT_IOTLB_GEOMETRY, type IotlbGeometry } from '../caches/cache-types';
import { IDR0, IDR1, IDR3, IDR5 } from './fields';

/** Register offsets from the SMMU's base (page 0); EVTQ/PRIQ PROD/CONS sit in page 1 (+64 KiB). */
export const SMMU_REG = {
  IDR0: 0x00,
  IDR1: 0x04,
  IDR2: 0x08,
  IDR3: 0x0c,
  IDR4: 0x10,
  IDR5: 0x14,
  IIDR: 0x18,
  AIDR: 0x1c,
  CR0: 0x20,
  CR0ACK: 0x24,
  CR1: 0x28,
  CR2: 0x2c,
  GBPA: 0x44,
  IRQ_CTRL: 0x50,
  GERROR: 0x60,
  GERRORN: 0x64,
  STRTAB_BASE: 0x80,
  STRTAB_BASE_CFG: 0x88,
  CMDQ_BASE: 0x90,
  CMDQ_PROD: 0x98,
  CMDQ_CONS: 0x9c,
  EVTQ_BASE: 0xa0,
  EVTQ_PROD: 0x100a8,
  EVTQ_CONS: 0x100ac,
  PRIQ_BASE: 0xc0,
  PRIQ_PROD: 0x100c8,
  PRIQ_CONS: 0x100cc,
} as const;

/** IDR5.OAS and CD.IPS / STE.S2PS encodings -> bits. */
export const OAS_BITS: readonly number[] = [32, 36, 40, 42, 44, 48, 52];

export type GranuleName = '4K' | '16K' | '64K';

/** What the modelled SMMU implements (reported in its ID registers). */
export interface SmmuV3Params {
  stage1: boolean;
  stage2: boolean;
  /** IDR0.ST_LEVEL = 1: a two-level stream table (Linux uses it when offered). */
  twoLevelStreamTable: boolean;
  /** IDR0.CD2L: two-level context-descriptor tables. */
  twoLevelCdTable: boolean;
  ats: boolean;
  pri: boolean;
  /** IDR0.HYP: the EL2 translation regime (with a VHE kernel, Linux uses it: ARM_SMMU_FEAT_E2H). */
  hyp: boolean;
  asid16: boolean;
  vmid16: boolean;
  msi: boolean;
  sev: boolean;
  /** IDR0.COHACC: coherent table walks and queue accesses. */
  coherent: boolean;
  /** IDR3.RIL: range invalidation (TLBI with NUM/SCALE/TG/TTL). */
  rangeInvalidation: boolean;
  /** IDR1.SIDSIZE / SSIDSIZE (bits). */
  sidBits: number;
  ssidBits: number;
  /**
   * IDR1.CMDQS / EVENTQS / PRIQS (log2 entries). Real parts report 2^16 and more; the defaults
   * are small because the model's SMMU consumes every command as PROD moves (the queue never holds
   * more than one batch) and simulated memory per unit should stay a few pages for fleet runs.
   */
  cmdqLog2: number;
  evtqLog2: number;
  priqLog2: number;
  /** IDR5.OAS (bits). */
  outputBits: number;
  granules: readonly GranuleName[];
  /** IDR5.VAX = 1: 52-bit stage-1 input addresses. */
  vax52: boolean;
  /** The TLB (set-associative, tagged by ASID/VMID; real geometries are unpublished). */
  tlb: IotlbGeometry;
  /**
   * Walk-cache entries per level and stage (non-leaf entries; 0 disables): Arm's MMU-600 TCU is
   * built with TCUCFG_WCS1L0..3_DEPTH / WCS2L0..3_DEPTH entries, 256 each in the one published
   * configuration (Intel Agilex 5 HPS TRM, "MMU-600 TCU Hardware Configuration").
   */
  walkCacheEntriesPerLevel: number;
  /**
   * Ways of a walk-cache set: MMU-600's TCU walk caches are four-way set-associative with
   * round-robin replacement (Arm MMU-600AE TRM 101412 §2.2 "Walk caches", §2.2.3). Entries are
   * tagged by ASID/VMID (§16.2), so several domains translating the same IOVAs coexist in a set.
   */
  walkCacheWays: number;
  /** Entries of an ATS device's address translation cache (a PCIe device's, not the SMMU's). */
  atcEntries: number;
  /** IIDR (implementer, product): reported only. */
  iidr: number;
}

export const DEFAULT_SMMUV3_PARAMS: SmmuV3Params = {
  stage1: true,
  stage2: true,
  twoLevelStreamTable: true,
  twoLevelCdTable: true,
  ats: true,
  pri: true,
  hyp: true,
  asid16: true,
  vmid16: true,
  msi: true,
  sev: true,
  coherent: true,
  rangeInvalidation: true,
  sidBits: 16,
  ssidBits: 20,
  cmdqLog2: 8,
  evtqLog2: 7,
  priqLog2: 8,
  outputBits: 48,
  granules: ['4K', '16K', '64K'],
  vax52: false,
  tlb: DEFAULT_IOTLB_GEOMETRY,
  walkCacheEntriesPerLevel: 256,
  walkCacheWays: 4,
  atcEntries: 64,
  iidr: 0,
};

/** The ID-register values these parameters report. */
export function idrRegisters(p: SmmuV3Params): { idr0: bigint; idr1: bigint; idr3: bigint; idr5: bigint } {
  const b = (v: boolean) => (v ? 1 : 0);
  const idr0 = pack(IDR0, {
    S2P: b(p.stage2),
    S1P: b(p.stage1),
    TTF: 2, // AArch64 tables only
    COHACC: b(p.coherent),
    HYP: b(p.hyp),
    ATS: b(p.ats),
    ASID16: b(p.asid16),
    MSI: b(p.msi),
    SEV: b(p.sev),
    PRI: b(p.pri),
    VMID16: b(p.vmid16),
    CD2L: b(p.twoLevelCdTable),
    TTENDIAN: 2, // little-endian
    STALL_MODEL: 1, // stall not supported: faults terminate
    ST_LEVEL: b(p.twoLevelStreamTable),
  });
  const idr1 = pack(IDR1, {
    SIDSIZE: p.sidBits,
    SSIDSIZE: p.ssidBits,
    PRIQS: p.priqLog2,
    EVENTQS: p.evtqLog2,
    CMDQS: p.cmdqLog2,
  });
  const idr3 = pack(IDR3, { RIL: b(p.rangeInvalidation) });
  const oas = OAS_BITS.indexOf(p.outputBits);
  const idr5 = pack(IDR5, {
    OAS: oas < 0 ? 5 : oas,
    GRAN4K: b(p.granules.includes('4K')),
    GRAN16K: b(p.granules.includes('16K')),
    GRAN64K: b(p.granules.includes('64K')),
    VAX: b(p.vax52),
  });
  return { idr0, idr1, idr3, idr5 };
}

/** Linux's ARM_SMMU_FEAT_* bits (arm-smmu-v3.h). */
export const ARM_SMMU_FEAT = {
  TWO_LVL_STRTAB: 1 << 0,
  TWO_LVL_CDTAB: 1 << 1,
  TT_LE: 1 << 2,
  TT_BE: 1 << 3,
  PRI: 1 << 4,
  ATS: 1 << 5,
  SEV: 1 << 6,
  MSI: 1 << 7,
  COHERENCY: 1 << 8,
  TRANS_S1: 1 << 9,
  TRANS_S2: 1 << 10,
  STALLS: 1 << 11,
  HYP: 1 << 12,
  STALL_FORCE: 1 << 13,
  VAX: 1 << 14,
  RANGE_INV: 1 << 15,
  BTM: 1 << 16,
  SVA: 1 << 17,
  E2H: 1 << 18,
  NESTING: 1 << 19,
} as const;

/** What arm_smmu_device_hw_probe() and arm_smmu_init_queues() make of the ID registers. */
export interface LinuxSmmuProbe {
  features: number;
  /** ARM_SMMU_OPT_MSIPOLL: CMD_SYNC completion by an MSI written into the command itself. */
  msiPoll: boolean;
  ias: number;
  oas: number;
  asidBits: number;
  vmidBits: number;
  sidBits: number;
  ssidBits: number;
  /** smmu->pgsize_bitmap as log2 sizes, ascending. */
  pageSizesLg2: number[];
  /** log2 entries Linux allocates per queue. */
  cmdqLog2: number;
  evtqLog2: number;
  priqLog2: number;
}

export interface LinuxSmmuEnv {
  /** The kernel runs at EL2 with VHE (cpus_have_cap(ARM64_HAS_VIRT_HOST_EXTN)): true on servers booted at EL2. */
  vhe: boolean;
  /** Coherency from firmware (IORT SMMUv3 node flag COHACC override / DT dma-coherent). */
  firmwareCoherent: boolean;
  /** log2 of the largest queue Linux allocates in bytes: PAGE_SHIFT + CONFIG_CMA_ALIGNMENT (12 + 8). */
  qMaxSzShift: number;
}

export const DEFAULT_LINUX_SMMU_ENV: LinuxSmmuEnv = { vhe: true, firmwareCoherent: true, qMaxSzShift: 20 };

/** arm_smmu_device_hw_probe() + arm_smmu_init_queues(), for the fields the model uses. */
export function linuxProbe(
  idr: ReturnType<typeof idrRegisters>,
  env: LinuxSmmuEnv = DEFAULT_LINUX_SMMU_ENV,
): LinuxSmmuProbe {
  const f = <T extends FieldTable>(t: T, v: bigint, name: FieldName<T>) => getNumber(v, t, name);
  const { idr0, idr1, idr3, idr5 } = idr;
  let features = 0;
  if (f(IDR0, idr0, 'ST_LEVEL') === 1) features |= ARM_SMMU_FEAT.TWO_LVL_STRTAB;
  if (f(IDR0, idr0, 'CD2L')) features |= ARM_SMMU_FEAT.TWO_LVL_CDTAB;
  const endian = f(IDR0, idr0, 'TTENDIAN');
  if (endian === 0 || endian === 2) features |= ARM_SMMU_FEAT.TT_LE;
  if (endian === 0 || endian === 3) features |= ARM_SMMU_FEAT.TT_BE;
  if (f(IDR0, idr0, 'PRI')) features |= ARM_SMMU_FEAT.PRI;
  if (f(IDR0, idr0, 'ATS')) features |= ARM_SMMU_FEAT.ATS;
  if (f(IDR0, idr0, 'SEV')) features |= ARM_SMMU_FEAT.SEV;
  const msi = f(IDR0, idr0, 'MSI') === 1;
  if (msi) features |= ARM_SMMU_FEAT.MSI;
  if (f(IDR0, idr0, 'HYP')) {
    features |= ARM_SMMU_FEAT.HYP;
    if (env.vhe) features |= ARM_SMMU_FEAT.E2H;
  }
  if (env.firmwareCoherent) features |= ARM_SMMU_FEAT.COHERENCY;
  const stall = f(IDR0, idr0, 'STALL_MODEL');
  if (stall === 2) features |= ARM_SMMU_FEAT.STALL_FORCE;
  if (stall === 0 || stall === 2) features |= ARM_SMMU_FEAT.STALLS;
  if (f(IDR0, idr0, 'S1P')) features |= ARM_SMMU_FEAT.TRANS_S1;
  if (f(IDR0, idr0, 'S2P')) features |= ARM_SMMU_FEAT.TRANS_S2;
  if (f(IDR3, idr3, 'RIL')) features |= ARM_SMMU_FEAT.RANGE_INV;
  if (f(IDR5, idr5, 'VAX') === 1) features |= ARM_SMMU_FEAT.VAX;
  if ((features & ARM_SMMU_FEAT.TRANS_S1) !== 0 && (features & ARM_SMMU_FEAT.TRANS_S2) !== 0)
    features |= ARM_SMMU_FEAT.NESTING;
  const pageSizesLg2: number[] = [];
  if (f(IDR5, idr5, 'GRAN4K')) pageSizesLg2.push(12, 21, 30);
  if (f(IDR5, idr5, 'GRAN16K')) pageSizesLg2.push(14, 25);
  if (f(IDR5, idr5, 'GRAN64K')) pageSizesLg2.push(16, 29);
  pageSizesLg2.sort((a, b) => a - b);
  // Output size: unknown encodings truncate to 48 bits; smmu->ias = max(smmu->ias, smmu->oas).
  const oas = OAS_BITS[f(IDR5, idr5, 'OAS')] ?? 48;
  const q = (log2: number, entShift: number) => Math.min(log2, env.qMaxSzShift - entShift);
  return {
    features,
    msiPoll: msi && env.firmwareCoherent,
    ias: oas,
    oas,
    asidBits: f(IDR0, idr0, 'ASID16') ? 16 : 8,
    vmidBits: f(IDR0, idr0, 'VMID16') ? 16 : 8,
    sidBits: f(IDR1, idr1, 'SIDSIZE'),
    ssidBits: f(IDR1, idr1, 'SSIDSIZE'),
    pageSizesLg2,
    cmdqLog2: q(f(IDR1, idr1, 'CMDQS'), 4),
    evtqLog2: q(f(IDR1, idr1, 'EVENTQS'), 5),
    priqLog2: q(f(IDR1, idr1, 'PRIQS'), 4),
  };
}

/** The boot lines Linux prints for one SMMU (ACPI probe), in order; `dev` is its device name. */
export function linuxBootLines(dev: string, probe: LinuxSmmuProbe): string[] {
  const p = `arm-smmu-v3 ${dev}: `;
  const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  const lines = [
    `${p}option mask 0x0`, // acpi_smmu_get_options(): no implementation quirks
    `${p}ias ${probe.ias}-bit, oas ${probe.oas}-bit (features 0x${hex8(probe.features)})`,
    `${p}allocated ${2 ** probe.cmdqLog2} entries for cmdq`,
    `${p}allocated ${2 ** probe.evtqLog2} entries for evtq`,
  ];
  if (probe.features & ARM_SMMU_FEAT.PRI) lines.push(`${p}allocated ${2 ** probe.priqLog2} entries for priq`);
  return lines;
}

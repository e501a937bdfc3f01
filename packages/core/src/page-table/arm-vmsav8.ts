// SPDX-License-Identifier: Apache-2.0
// Arm Architecture Reference Manual for A-profile (DDI 0487, rev. J.a), §D8.3 "Translation table
// descriptor formats" (VMSAv8-64, stage 1 and stage 2; §D5.3 in revisions before I.a), as the
// SMMUv3 walks it (IHI 0070 §3.4, TTF = AArch64). Cross-checked with Linux
// drivers/iommu/io-pgtable-arm.c (arm_lpae_prot_to_pte(), arm_lpae_init_pte(),
// arm_lpae_install_table(), arm_64_lpae_alloc_pgtable_s1/_s2(), arm_lpae_restrict_pgsizes()).
//
// Levels: Arm numbers from the root down (level 0..3, level 3 holds pages); we number from the
// leaves up, so our level = 4 - Arm level, and a table with fewer levels starts lower.
//
// | Arm level | our level | an entry covers: 4 KiB / 16 KiB / 64 KiB granule | leaf                   |
// |-----------|-----------|----------------------------------------------------|------------------------|
// | 0         | 4         | 512 GiB / 128 TiB / -                               | never (no FEAT_LPA2)   |
// | 1         | 3         | 1 GiB / 64 GiB / 4 TiB                              | 4K: block; 64K: block only with a 52-bit OA (FEAT_LPA); 16K: never |
// | 2         | 2         | 2 MiB / 32 MiB / 512 MiB                            | block                  |
// | 3         | 1         | 4 KiB / 16 KiB / 64 KiB                             | page (type 0b11)       |
//
// The start level follows from the input size (64 - T0SZ, or the IPA size at stage 2); at stage 2
// Linux concatenates up to 16 tables at level 1 rather than start at level 0 (io-pgtable-arm.c,
// ARM_LPAE_S2_MAX_CONCAT_PAGES), which the root's extra index bits express here.
//
// Faults a walk reports (the SMMU maps them to its event codes, smmu/translate.ts):
//  - invalid (V = 0): WALK_NOT_PRESENT, a Translation fault;
//  - a block where the granule has none, or type 0b01 at Arm level 3: WALK_RESERVED, also a
//    Translation fault (D8.3: such a descriptor is invalid);
//  - an output address (table or leaf) at or above the configured output size, or descriptor bits
//    51:48 set without a 52-bit OA: WALK_ADDRESS_SIZE, an Address size fault;
//  - a leaf with AF = 0 when the access flag is not managed by hardware: WALK_ACCESS_FLAG;
//  - then the permission check at the leaf (AP/APTable, S2AP): WALK_PERMISSION.
//
// Departures from hardware, and why:
//  - Requests are unprivileged data accesses (PCIe without a PASID prefix asking for privilege):
//    a stage-1 leaf without AP[1] (EL0 access) or under APTable[0] grants nothing. Execute-never
//    bits (UXN/PXN, S2 XN) are not checked: DMA does not fetch instructions.
//  - The contiguous hint (bit 52) is ignored: the walk and the TLB treat each entry alone, which the
//    architecture permits, and Linux's io-pgtable-arm never sets it.
//  - Output-address bits of a block below its size (RES0) are ignored, not faulted.
//  - No FEAT_LPA2 (52-bit addresses with 4/16 KiB granules), no hardware dirty state (DBM).
//  - Walks never write descriptors (no hardware access-flag update).

import { bits, type FieldTable, fieldHalves, wordField } from '../bits/bitfield';
import { CoreError } from '../errors';
import {
  ENTRY_EMPTY,
  ENTRY_LEAF,
  ENTRY_TABLE,
  type PageTableFormat,
  PERM_READ,
  PERM_RW,
  PERM_WRITE,
  WALK_ACCESS_FLAG,
  WALK_ADDRESS_SIZE,
  WALK_RESERVED,
} from './format';
import { FormatDefaults } from './format-base';
import {
  addrHi,
  addrLo,
  granuleLevelShift,
  type MaskHalves,
  maskedAddress,
  maskedPfn,
  maskHalves,
  POW2,
} from './level-math';

/** VMSAv8-64 descriptor fields, bits as D8.3 prints them (stage-1 names; stage 2 noted). */
export const ARM_DESC = {
  /** Valid. */
  V: [0, 0],
  /** Type at levels 0-2: 1 = table, 0 = block. At level 3: 1 = page, 0 = reserved. */
  TYPE: [1, 1],
  /** Stage 1: index into MAIR. (Stage 2: MemAttr is bits 5:2.) */
  AttrIndx: [4, 2],
  S2_MemAttr: [5, 2],
  NS: [5, 5],
  /** Stage 1 AP[2:1]: AP[1] (bit 6) = EL0 access, AP[2] (bit 7) = read-only. Stage 2: S2AP (bit 6 read, bit 7 write). */
  AP: [7, 6],
  SH: [9, 8],
  AF: [10, 10],
  nG: [11, 11],
  /** 64 KiB granule with a 52-bit OA (FEAT_LPA): OA[51:48]. */
  OA_51_48_64K: [15, 12],
  OA: [47, 12],
  /** RES0 without a 52-bit output address. */
  RES0_51_48: [51, 48],
  DBM: [51, 51],
  Contiguous: [52, 52],
  PXN: [53, 53],
  UXN: [54, 54],
  /** Table descriptors, stage 1 only. */
  PXNTable: [59, 59],
  UXNTable: [60, 60],
  APTable: [62, 61],
  NSTable: [63, 63],
} as const satisfies FieldTable;

const { V, TYPE, AF, nG: NG } = bits(ARM_DESC, 'V', 'TYPE', 'AF', 'nG');
const AP_EL0 = 1 << ARM_DESC.AP[1]; // stage-1 AP[1]; stage-2 S2AP read
const AP_RO = 1 << ARM_DESC.AP[0]; // stage-1 AP[2]; stage-2 S2AP write
const SH_SHIFT = wordField(ARM_DESC, 'SH').shift;
const SH_OS = 2;
const SH_IS = 3;
const ATTR_SHIFT = wordField(ARM_DESC, 'AttrIndx').shift;
/** Linux ARM_LPAE_MAIR_ATTR_IDX_CACHE / _NC; stage-2 MemAttr OIWB (0xf) / NC (0x5). */
const MAIR_IDX_CACHE = 1;
const MAIR_IDX_NC = 0;
const S2_MEMATTR_OIWB = 0xf;
const S2_MEMATTR_NC = 0x5;
const APTABLE_NO_WRITE_HI = 1 << (ARM_DESC.APTable[0] - 32);
const APTABLE_NO_EL0_HI = 1 << (ARM_DESC.APTable[1] - 32);
const RES0_51_48: MaskHalves = fieldHalves(ARM_DESC, 'RES0_51_48');
const LPA_SHIFT = wordField(ARM_DESC, 'OA_51_48_64K').shift;

export type ArmGranule = '4K' | '16K' | '64K';
export const ARM_GRANULE_LG2: Readonly<Record<ArmGranule, number>> = { '4K': 12, '16K': 14, '64K': 16 };

export interface ArmVmsav8Options {
  stage: 1 | 2;
  granule: ArmGranule;
  /** Input address size in bits: 64 - T0SZ at stage 1, the IPA size (64 - S2T0SZ) at stage 2. */
  inputBits: number;
  /** Output address size in bits (CD.IPS / STE.S2PS, capped by IDR5.OAS): 32..52. Default 48. */
  outputBits?: number;
  /** Stage 2: concatenate up to 16 tables at level 1 instead of starting at level 0, as Linux does. Default true. */
  concatenate?: boolean;
  /** Block descriptors (Linux pgsize_bitmap beyond the granule). Default true. */
  blocks?: boolean;
  /** Leaves for cache-coherent DMA (Linux IOMMU_CACHE): Normal WB inner-shareable, else NC outer-shareable. Default true. */
  coherent?: boolean;
  /** Access flag managed by hardware or its faults disabled (CD.HA / CD.AFFD, STE.S2HA / S2AFFD). Default false. */
  accessFlagIgnored?: boolean;
  /**
   * Stage 2: the levels an STE's S2SL0 gives (4 - start level), instead of Linux's choice. The root
   * then indexes 1 to (g - 3) + 4 bits (up to 16 concatenated tables); anything else is refused.
   */
  levels?: number;
}

const OUTPUT_BITS = [32, 36, 40, 42, 44, 48, 52];

class ArmVmsav8Format extends FormatDefaults implements PageTableFormat {
  readonly name: string;
  readonly spec: string;
  readonly levels: number;
  readonly inputWidth: number;
  readonly granuleLg2: number;
  readonly stage: 1 | 2;
  readonly outputBits: number;
  private readonly lpa: boolean;
  private readonly coherent: boolean;
  private readonly afIgnored: boolean;
  /** Per our level: the mask of a table's / a leaf's output-address bits; sizes a leaf may have. */
  private readonly tableAddr: MaskHalves;
  private readonly leafAddr: MaskHalves[] = [];
  private readonly outputLimit: number;
  /** Per our level: a leaf may sit there; the bits a leaf must have (AF unless ignored). */
  private readonly leafOk: boolean[] = [false];
  private readonly leafNeedLo: number;
  /** High-half bits that put an output address at or above the output size (or in RES0 51:48). */
  private readonly oaOverHi: number;

  constructor(opts: ArmVmsav8Options) {
    super();
    const g = ARM_GRANULE_LG2[opts.granule];
    if (g === undefined) throw invalid(`granule '${opts.granule}' is not 4K, 16K or 64K`, { granule: opts.granule });
    const outputBits = opts.outputBits ?? 48;
    if (!OUTPUT_BITS.includes(outputBits))
      throw invalid(`output size ${outputBits} is not an IPS encoding`, { outputBits });
    const maxIn = g === 16 ? 52 : 48;
    if (!Number.isInteger(opts.inputBits) || opts.inputBits < 25 || opts.inputBits > maxIn) {
      throw invalid(`input size ${opts.inputBits} bits is outside 25..${maxIn} for ${opts.granule}`, {
        inputBits: opts.inputBits,
      });
    }
    const stride = g - 3;
    let levels = Math.ceil((opts.inputBits - g) / stride);
    // arm_64_lpae_alloc_pgtable_s2(): a level-0 root of at most 16 entries becomes 16 concatenated level-1 tables.
    const pgdBits = opts.inputBits - granuleLevelShift(g, levels);
    if (opts.stage === 2 && opts.concatenate !== false && levels === 4 && pgdBits <= 4) levels = 3;
    if (opts.levels !== undefined) {
      const rootBits = opts.inputBits - granuleLevelShift(g, opts.levels);
      if (opts.stage !== 2 || !Number.isInteger(opts.levels) || rootBits < 1 || rootBits > stride + 4) {
        throw invalid(`${opts.levels} levels cannot translate ${opts.inputBits} bits at stage ${opts.stage}`, {
          levels: opts.levels,
        });
      }
      levels = opts.levels;
    }
    this.stage = opts.stage;
    this.granuleLg2 = g;
    this.levels = levels;
    this.inputWidth = opts.inputBits;
    this.outputBits = outputBits;
    this.outputLimit = POW2[outputBits]!;
    this.lpa = g === 16 && outputBits === 52;
    this.coherent = opts.coherent !== false;
    this.afIgnored = opts.accessFlagIgnored === true;
    this.name = `arm-s${opts.stage}-${opts.granule.toLowerCase()}-${opts.inputBits}${outputBits === 48 ? '' : `-oa${outputBits}`}`;
    this.spec = `Arm ARM DDI 0487 J.a §D8.3, VMSAv8-64 stage-${opts.stage} descriptors, ${opts.granule} granule`;
    this.leafNeedLo = this.afIgnored ? 0 : AF;
    this.oaOverHi = this.lpa ? 0 : maskHalves([[51, Math.max(32, outputBits)]]).hi;
    this.tableAddr = maskHalves([[47, g]]);
    for (let level = 1; level <= levels; level++) {
      const shift = granuleLevelShift(g, level);
      this.leafAddr[level] = maskHalves([[47, Math.min(shift, 47)]]);
      this.sizes.push(sizesAt(g, level, opts.blocks !== false, outputBits));
      this.leafOk.push(level === 1 || this.sizes[level]!.length > 0);
    }
  }

  entryKind(lo: number, _hi: number, level: number): number {
    if ((lo & V) === 0) return ENTRY_EMPTY;
    return level === 1 || (lo & TYPE) === 0 ? ENTRY_LEAF : ENTRY_TABLE;
  }
  entryOutputPfn(lo: number, hi: number, level: number): number {
    // Not through entryOutputAddress(): a double returned from a call not inlined is boxed.
    const leaf = level === 1 || (lo & TYPE) === 0;
    const pfn = maskedPfn(lo, hi, leaf ? this.leafAddr[level]! : this.tableAddr);
    return this.lpa ? pfn + ((lo >>> LPA_SHIFT) & 0xf) * POW2[36]! : pfn; // bits 51:48 of the address
  }
  entryOutputAddress(lo: number, hi: number, level: number): number {
    const leaf = level === 1 || (lo & TYPE) === 0;
    const addr = maskedAddress(lo, hi, leaf ? this.leafAddr[level]! : this.tableAddr);
    return this.lpa ? addr + ((lo >>> LPA_SHIFT) & 0xf) * POW2[48]! : addr;
  }
  entryPerm(lo: number, hi: number, level: number): number {
    const leaf = level === 1 || (lo & TYPE) === 0;
    if (this.stage === 2)
      return leaf ? ((lo & AP_EL0) !== 0 ? PERM_READ : 0) | ((lo & AP_RO) !== 0 ? PERM_WRITE : 0) : PERM_RW;
    if (!leaf) return (hi & APTABLE_NO_EL0_HI) !== 0 ? 0 : (hi & APTABLE_NO_WRITE_HI) !== 0 ? PERM_READ : PERM_RW;
    if ((lo & AP_EL0) === 0) return 0; // privileged-only: an unprivileged request gets nothing
    return (lo & AP_RO) !== 0 ? PERM_READ : PERM_RW;
  }
  hasReservedBits(lo: number, hi: number, level: number): boolean {
    // Hot path: one test per kind of fault, from masks made at construction; reservedStatus() says which.
    const leaf = level === 1 || (lo & TYPE) === 0;
    if (leaf ? !this.leafOk[level] || (lo & this.leafNeedLo) !== this.leafNeedLo : false) return true;
    if (level === 1 && (lo & TYPE) === 0) return true;
    return (hi & this.oaOverHi) !== 0 || (this.lpa && this.entryOutputAddress(lo, hi, level) >= this.outputLimit);
  }
  /** The walk status of a malformed entry, or 0 when the entry is well formed. */
  reservedStatus(lo: number, hi: number, level: number): number {
    const leaf = level === 1 || (lo & TYPE) === 0;
    if (level === 1 ? (lo & TYPE) === 0 : leaf && this.sizes[level]!.length === 0) return WALK_RESERVED;
    if (!this.lpa && ((hi & RES0_51_48.hi) !== 0 || (lo & RES0_51_48.lo) !== 0)) return WALK_ADDRESS_SIZE;
    if (this.entryOutputAddress(lo, hi, level) >= this.outputLimit) return WALK_ADDRESS_SIZE;
    if (leaf && (lo & AF) === 0 && !this.afIgnored) return WALK_ACCESS_FLAG;
    return 0;
  }
  writeLeaf(words: Uint32Array, index: number, pa: number, _sizeLg2: number, perm: number, level: number): void {
    // arm_lpae_prot_to_pte() + arm_lpae_init_pte(): permissions, attributes, AF, type, OA.
    let lo: number;
    if (this.stage === 1) {
      const ro = (perm & PERM_WRITE) === 0 ? AP_RO : 0; // a write-only mapping is read-write at stage 1
      const attr = (this.coherent ? MAIR_IDX_CACHE : MAIR_IDX_NC) << ATTR_SHIFT;
      lo = NG | AP_EL0 | ro | attr;
    } else {
      const s2ap = ((perm & PERM_READ) !== 0 ? AP_EL0 : 0) | ((perm & PERM_WRITE) !== 0 ? AP_RO : 0);
      lo = s2ap | ((this.coherent ? S2_MEMATTR_OIWB : S2_MEMATTR_NC) << ATTR_SHIFT);
    }
    lo |= ((this.coherent ? SH_IS : SH_OS) << SH_SHIFT) | AF | V | (level === 1 ? TYPE : 0);
    this.writeAddress(words, index, pa, lo);
  }
  writeTable(words: Uint32Array, index: number, tablePa: number, _level: number): void {
    // arm_lpae_install_table(): the table's address | ARM_LPAE_PTE_TYPE_TABLE.
    this.writeAddress(words, index, tablePa, V | TYPE);
  }

  /** Writes `lo` bits with the output address (OA[51:48] into bits 15:12 for a 52-bit 64 KiB table). */
  private writeAddress(words: Uint32Array, index: number, pa: number, lo: number): void {
    const top = this.lpa ? Math.floor(pa / POW2[48]!) & 0xf : 0;
    const low = this.lpa ? pa % POW2[48]! : pa;
    words[2 * index] = (addrLo(low) | lo | (top << LPA_SHIFT)) >>> 0;
    words[2 * index + 1] = addrHi(low) >>> 0;
  }
}

/** Leaf sizes at our `level` (Linux arm_lpae_restrict_pgsizes(); D8.3 block rules). */
function sizesAt(g: number, level: number, blocks: boolean, outputBits: number): number[] {
  const shift = granuleLevelShift(g, level);
  if (level === 1) return [shift];
  if (!blocks || level >= 4) return []; // Arm level 0 holds no blocks without FEAT_LPA2
  if (level === 2) return [shift];
  // Arm level 1: 1 GiB blocks with 4 KiB; 4 TiB blocks with 64 KiB only when the OA is 52-bit; none with 16 KiB.
  if (g === 12) return [shift];
  if (g === 16 && outputBits === 52) return [shift];
  return [];
}

function invalid(message: string, details: Record<string, string | number>): CoreError {
  return new CoreError('INVALID_ARGUMENT', `Arm VMSAv8-64: ${message}`, details);
}

export function armVmsav8Format(
  opts: ArmVmsav8Options,
): PageTableFormat & { readonly stage: 1 | 2; readonly outputBits: number } {
  return new ArmVmsav8Format(opts);
}

/** Arm's number for our `level` (Arm level 3 holds pages). */
export function armLevelOf(level: number): number {
  return 4 - level;
}

// SPDX-License-Identifier: Apache-2.0
// Intel Virtualization Technology for Directed I/O Architecture Specification (rev. 3.0 and
// later), §9.8 "Second-Stage Paging Entries" (legacy-mode second-level tables share the layout).
// Facts sheet §1.6; Linux drivers/iommu/generic_pt/fmt/vtdss.h and intel/iommu.h (DMA_PTE_*).
//
// | spec name                         | our level | covers | leaf when           |
// |-----------------------------------|-----------|--------|---------------------|
// | SL-PML5E (5-level, 57-bit)        | 5         | 256 TiB| never (PS reserved) |
// | SL-PML4E (4-level, 48-bit)        | 4         | 512 GiB| never (PS reserved) |
// | SL-PDPE                           | 3         | 1 GiB  | PS = 1 and SLLPS 1G |
// | SL-PDE                            | 2         | 2 MiB  | PS = 1 and SLLPS 2M |
// | SL-PTE                            | 1         | 4 KiB  | always              |
//
// Departures from hardware, and why:
//  - Address bits above the host address width (HAW) are not checked: the model takes bits 51:12.
//  - A/D (bits 9/8 with second-stage A/D enabled) are not modelled: walks never write memory.
//  - TM (bit 62) is always reserved: the model has no ECAP.DT.
//  - SNP (bit 11) is reserved in non-leaf entries, and in leaves (PTEs and superpages) unless the
//    unit has snoop control (ECAP.SC), as QEMU's vtd_init() builds vtd_spte_rsvd[].

import { bits, type FieldTable, fieldHalves } from '../bits/bitfield';
import { CoreError } from '../errors';
import { CHUNK_PAGES, CHUNK_PAGES_LG2, type PhysMemory } from '../memory/phys-memory';
import {
  ENTRY_EMPTY,
  ENTRY_LEAF,
  ENTRY_TABLE,
  type PageTableFormat,
  WALK_NOT_PRESENT,
  WALK_OK,
  WALK_PERMISSION,
  WALK_RESERVED,
  type WalkOut,
} from './format';
import { FormatDefaults } from './format-base';
import { addrHi, addrLo, levelShift, type MaskHalves, maskedAddress, maskedPfn, maskHalves } from './level-math';
import { setFault } from './walk';

const CHUNK_MASK = CHUNK_PAGES - 1;

/** Second-stage paging entry, bits as §9.8 prints them. */
export const VTD_SL_PTE = {
  R: [0, 0],
  W: [1, 1],
  /** Reserved in legacy mode (EMT/IPAT only with extended/nested support, not modelled). */
  RSVD_6_2: [6, 2],
  PS: [7, 7],
  IGN_10_8: [10, 8],
  SNP: [11, 11],
  ADDR: [51, 12],
  IGN_61_52: [61, 52],
  TM: [62, 62],
  IGN_63: [63, 63],
} as const satisfies FieldTable;

const { R, W, PS, SNP } = bits(VTD_SL_PTE, 'R', 'W', 'PS', 'SNP');
const ADDR: MaskHalves = fieldHalves(VTD_SL_PTE, 'ADDR');
const ADDR_HI_ = ADDR.hi;
/**
 * vtdWalk() turns a table pointer into a 4 KiB page number with `lo >>> 12` and `hi * 2^20`, as
 * literals (a variable shift would cost in the hot loop): ADDR's low bit must be 12, which this
 * typed constant checks at compile time against the table (a table saying otherwise fails to build).
 */
export const VTD_SL_ADDR_LOW_BIT: 12 = VTD_SL_PTE.ADDR[1];
const ADDR_LO_ = ADDR.lo;

export type VtdWidthBits = 39 | 48 | 57;

export interface VtdSecondStageOptions {
  /** Adjusted guest address width: 39, 48 or 57 bits = 3, 4 or 5 levels (CAP.SAGAW). */
  widthBits: VtdWidthBits;
  /** Superpage support (CAP.SLLPS bits 34/35). */
  superpages: { '2M': boolean; '1G': boolean };
  /** ECAP.SC (snoop control): SNP in a leaf is a field, not a reserved bit. */
  snoopControl?: boolean;
  /**
   * Write SNP into leaves, as Linux does for a domain with force_snooping (set_pte_snp, only
   * when every unit has ECAP.SC). Needs snoopControl.
   */
  forceSnooping?: boolean;
}

class VtdSecondStageFormat extends FormatDefaults implements PageTableFormat {
  readonly name: string;
  readonly spec = 'Intel VT-d Architecture Specification rev. 3.0+, §9.8 second-stage paging entries';
  readonly levels: number;
  readonly inputWidth: number;
  readonly granuleLg2 = 12;
  private readonly snoop: boolean;
  /** Per level: reserved low-half bits of a non-leaf entry / of a PS=1 entry; reserved high half (read by vtdWalk). */
  readonly rsvdTableLo: Int32Array;
  readonly rsvdLeafLo: Int32Array;
  readonly rsvdHi: number;

  constructor(opts: VtdSecondStageOptions) {
    super();
    if (opts.widthBits !== 39 && opts.widthBits !== 48 && opts.widthBits !== 57) {
      throw new CoreError('INVALID_ARGUMENT', `VT-d second stage: width ${opts.widthBits} is not 39, 48 or 57`, {
        widthBits: opts.widthBits,
      });
    }
    this.levels = (opts.widthBits - 12) / 9;
    this.inputWidth = opts.widthBits;
    this.name = `vtd-ss-${opts.widthBits}`;
    if (opts.forceSnooping === true && opts.snoopControl !== true) {
      throw new CoreError('INVALID_ARGUMENT', 'VT-d second stage: force snooping needs snoop control (ECAP.SC)');
    }
    this.snoop = opts.forceSnooping === true;
    const always = fieldHalves(VTD_SL_PTE, 'RSVD_6_2', 'TM');
    const leafSnp = opts.snoopControl === true ? 0 : SNP;
    this.rsvdHi = always.hi;
    this.rsvdTableLo = new Int32Array(this.levels + 1);
    this.rsvdLeafLo = new Int32Array(this.levels + 1);
    for (let level = 1; level <= this.levels; level++) {
      const psAllowed = (level === 2 && opts.superpages['2M']) || (level === 3 && opts.superpages['1G']);
      this.rsvdTableLo[level] = always.lo | SNP;
      // A superpage's address bits below its size must be zero (QEMU masks 0x1ff000 / 0x3ffff000).
      const lowAddr = psAllowed ? maskHalves([[levelShift(level) - 1, 12]]).lo : PS;
      this.rsvdLeafLo[level] = always.lo | lowAddr | leafSnp;
      this.sizes.push(level === 1 ? [12] : psAllowed ? [levelShift(level)] : []);
    }
  }

  entryKind(lo: number, _hi: number, level: number): number {
    if ((lo & (R | W)) === 0) return ENTRY_EMPTY; // no present bit: present = R | W
    return level === 1 || (lo & PS) !== 0 ? ENTRY_LEAF : ENTRY_TABLE;
  }
  entryOutputPfn(lo: number, hi: number, _level: number): number {
    return maskedPfn(lo, hi, ADDR); // not through entryOutputAddress(): its double would box uninlined
  }
  entryOutputAddress(lo: number, hi: number, _level: number): number {
    return maskedAddress(lo, hi, ADDR);
  }
  entryPerm(lo: number, _hi: number, _level: number): number {
    return lo & (R | W); // R and W sit where PERM_READ and PERM_WRITE do
  }
  hasReservedBits(lo: number, hi: number, level: number): boolean {
    // At level 1 bit 7 is PS too, and reserved: treat an L1 entry with PS set as a PS=1 entry.
    const rsvdLo = (lo & PS) !== 0 || level === 1 ? this.rsvdLeafLo[level]! : this.rsvdTableLo[level]!;
    return (lo & rsvdLo) !== 0 || (hi & this.rsvdHi) !== 0;
  }
  writeLeaf(words: Uint32Array, index: number, pa: number, _sizeLg2: number, perm: number, level: number): void {
    // Linux __domain_mapping(): pteval = phys | prot (R/W/SNP) | DMA_PTE_LARGE_PAGE for superpages.
    words[2 * index] = (addrLo(pa) | (perm & (R | W)) | (level > 1 ? PS : 0) | (this.snoop ? SNP : 0)) >>> 0;
    words[2 * index + 1] = addrHi(pa);
  }
  writeTable(words: Uint32Array, index: number, tablePa: number, _level: number): void {
    // Linux pfn_to_dma_pte(): non-leaf entries are DMA_PTE_READ | DMA_PTE_WRITE.
    words[2 * index] = (addrLo(tablePa) | R | W) >>> 0;
    words[2 * index + 1] = addrHi(tablePa);
  }
}

/** The format as vtdWalk() takes it, or null when `fmt` is not a VT-d second-stage format. */
export function asVtdSecondStage(fmt: PageTableFormat): VtdSecondStageFormat | null {
  return fmt instanceof VtdSecondStageFormat ? fmt : null;
}

export type { VtdSecondStageFormat };

/**
 * The second-stage walk of `fmt` specialised for the VT-d unit's hot path (issue #19): the same
 * checks in the same order as the generic walk() (page-table/walk.ts) with this format — present
 * (R|W), then the §9.8 reserved bits of the entry's kind at its level (PS, SNP, 6:2, TM, superpage
 * address bits), then leaf (level 1 or PS=1) or table, permission ANDed down and checked at the
 * leaf — but monomorphic, with 32-bit halves read straight from the table pool's chunks and no
 * call per entry. Fills `out` exactly as walk() does and returns true; returns false, leaving
 * `out` unspecified, when a table pointer leads outside the table pool (a data page or unwritten
 * memory): the caller then runs walk(), which tells the two apart. The caller has checked the
 * input width (the context's AW limit, §7.1.3 fault 0x04), as walk() would first.
 *
 * The input address comes as its 32-bit halves, `iovaLo = iova | 0` (the low half as a signed
 * int32) and `iovaHi` (the high half): small integers, which a call passes as they are — the
 * address as a double would be boxed into a new heap number on every walk (16 bytes each).
 */
export function vtdWalk(
  mem: PhysMemory,
  fmt: VtdSecondStageFormat,
  rootPa: number,
  iovaLo: number,
  iovaHi: number,
  access: number,
  out: WalkOut,
): boolean {
  const chunks = mem.chunks;
  const pages = mem.poolPages;
  const base = mem.tablePoolBasePfn;
  const rsvdLeaf = fmt.rsvdLeafLo;
  const rsvdTable = fmt.rsvdTableLo;
  const rsvdHi = fmt.rsvdHi;
  const ivLo = iovaLo >>> 0;
  const ivHi = iovaHi;
  // The page number in 32-bit integers (not a double, converted at every level): pages below
  // 2^31, i.e. a pool below 8 TiB; anything above is no pool page, which walk() reports.
  const rootPfn = rootPa / 4096;
  if (!(rootPfn < 2147483648 && base < 2147483648)) return false;
  let page = (rootPfn | 0) - base;
  let perm = R | W;
  let level = fmt.levels;
  // levelShift(level): every VT-d level indexes 9 bits (widths 39/48/57 = 3/4/5 levels).
  for (let shift = 3 + 9 * level, reads = 1; ; shift -= 9, reads++) {
    if (!(page >= 0 && page < pages)) return false;
    const idx = shift < 32 ? ((ivLo >>> shift) | (ivHi << (32 - shift))) & 511 : (ivHi >>> (shift - 32)) & 511;
    const words = chunks[page >>> CHUNK_PAGES_LG2]!;
    const e = ((page & CHUNK_MASK) << 10) | (idx << 1);
    const lo = words[e]!;
    const hi = words[e + 1]!;
    if ((lo & (R | W)) === 0) {
      setFault(out, WALK_NOT_PRESENT, level, reads, perm);
      return true;
    }
    const leaf = level === 1 || (lo & PS) !== 0;
    if ((lo & (leaf ? rsvdLeaf[level]! : rsvdTable[level]!)) !== 0 || (hi & rsvdHi) !== 0) {
      setFault(out, WALK_RESERVED, level, reads, perm);
      return true;
    }
    perm &= lo;
    if (leaf) {
      out.status = (access & ~perm) === 0 ? WALK_OK : WALK_PERMISSION;
      // ADDR is bits 51:12; a leaf covers 2^shift bytes (at most 1 GiB: the offset fits the low half).
      out.pa = (hi & ADDR_HI_) * 4294967296 + ((lo & ADDR_LO_) >>> 0) + ((ivLo & ((1 << shift) - 1)) >>> 0);
      out.sizeLg2 = shift;
      out.perm = perm;
      out.levelsRead = reads;
      out.level = level;
      return true;
    }
    const pfnHi = hi & ADDR_HI_; // the pointer's bits 51:32
    if (pfnHi >= 2048) return false; // at or above 8 TiB: no pool page (walk() reports it)
    page = ((pfnHi << 20) | (lo >>> 12)) - base; // 12 = VTD_SL_ADDR_LOW_BIT, 20 = 32 - 12
    level--;
  }
}

export function vtdSecondStageFormat(opts: VtdSecondStageOptions): PageTableFormat {
  return new VtdSecondStageFormat(opts);
}

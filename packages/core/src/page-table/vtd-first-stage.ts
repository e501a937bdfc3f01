// SPDX-License-Identifier: Apache-2.0
// Intel VT-d Architecture Specification rev. 3.0+, §9.7 "First-Stage Paging Entries", which use
// the IA-32e (x86-64) 4-/5-level paging format of the Intel SDM Vol. 3 §4.5. Facts sheet §1.6;
// Linux drivers/iommu/generic_pt/fmt/x86_64.h.
//
// | spec name      | our level | covers  | leaf when                  |
// |----------------|-----------|---------|----------------------------|
// | PML5E (5-level)| 5         | 256 TiB | never (PS reserved)        |
// | PML4E          | 4         | 512 GiB | never (PS reserved)        |
// | PDPTE          | 3         | 1 GiB   | PS = 1 and `pages1G`       |
// | PDE            | 2         | 2 MiB   | PS = 1                     |
// | PTE            | 1         | 4 KiB   | always (bit 7 is PAT here) |
//
// Departures from hardware, and why:
//  - inputWidth is 47 (4-level) or 56 (5-level): the lower canonical half. The upper half needs
//    bits 63:48 set, which the model's addresses (< 2^53) cannot hold; an address with bit 47 set
//    and bits 63:48 clear is non-canonical and faults, reported as WALK_BEYOND_WIDTH.
//  - A/D are not updated by walks; Linux pre-sets A (and D on writable leaves) so hardware need not.
//  - Reads are granted by P alone and writes need R/W at every level (supervisor-mode DMA). A
//    write-only mapping cannot be expressed: writeLeaf grants read as well.
//  - XD, U/S and MAXPHYADDR reserved bits are not checked (DMA does not execute; U/S is set everywhere).

import { bits, type FieldTable, fieldHalves } from '../bits/bitfield';
import { CoreError } from '../errors';
import { ENTRY_EMPTY, ENTRY_LEAF, ENTRY_TABLE, type PageTableFormat, PERM_READ, PERM_WRITE } from './format';
import { FormatDefaults } from './format-base';
import { addrHi, addrLo, levelShift, type MaskHalves, maskedAddress, maskedPfn, maskHalves } from './level-math';

/** IA-32e paging-structure entry, bits as the SDM prints them. */
export const IA32E_PTE = {
  P: [0, 0],
  RW: [1, 1],
  US: [2, 2],
  PWT: [3, 3],
  PCD: [4, 4],
  A: [5, 5],
  D: [6, 6],
  /** PS in PDPTE/PDE; PAT in a PTE. */
  PS: [7, 7],
  G: [8, 8],
  ADDR: [51, 12],
  XD: [63, 63],
} as const satisfies FieldTable;

const { P, RW, US, A, D, PS } = bits(IA32E_PTE, 'P', 'RW', 'US', 'A', 'D', 'PS');
const ADDR: MaskHalves = fieldHalves(IA32E_PTE, 'ADDR');

export interface VtdFirstStageOptions {
  levels: 4 | 5;
  /** 1 GiB pages (CPUID PDPE1GB / VT-d ECAP FS1GP). 2 MiB pages are always supported. */
  pages1G?: boolean;
}

class VtdFirstStageFormat extends FormatDefaults implements PageTableFormat {
  readonly name: string;
  readonly spec = 'Intel VT-d Architecture Specification rev. 3.0+, §9.7 first-stage paging entries (IA-32e)';
  readonly levels: number;
  readonly inputWidth: number;
  readonly granuleLg2 = 12;
  /** Per level: the mask of a PS=1 leaf's address (drops PAT and the superpage's low bits). */
  private readonly leafAddr: MaskHalves[] = [];
  /** Per level: reserved low-half bits of a PS=1 entry. */
  private readonly rsvdPsLo: Int32Array;

  constructor(opts: VtdFirstStageOptions) {
    super();
    if (opts.levels !== 4 && opts.levels !== 5) {
      throw new CoreError('INVALID_ARGUMENT', `VT-d first stage: ${opts.levels} levels is not 4 or 5`, {
        levels: opts.levels,
      });
    }
    this.levels = opts.levels;
    this.inputWidth = opts.levels === 4 ? 47 : 56;
    this.name = `vtd-fs-${opts.levels}`;
    this.rsvdPsLo = new Int32Array(this.levels + 1);
    for (let level = 1; level <= this.levels; level++) {
      const psAllowed = level === 2 || (level === 3 && opts.pages1G === true);
      this.leafAddr[level] = { hi: ADDR.hi, lo: (ADDR.lo & ~(2 ** levelShift(level) - 1)) | 0 };
      // A large page's address bits between PAT (bit 12) and its size are reserved (SDM table 4-18).
      this.rsvdPsLo[level] = level === 1 ? 0 : psAllowed ? maskHalves([[levelShift(level) - 1, 13]]).lo : PS;
      this.sizes.push(level === 1 ? [12] : psAllowed ? [levelShift(level)] : []);
    }
  }

  entryKind(lo: number, _hi: number, level: number): number {
    if ((lo & P) === 0) return ENTRY_EMPTY;
    return level === 1 || (lo & PS) !== 0 ? ENTRY_LEAF : ENTRY_TABLE;
  }
  entryOutputPfn(lo: number, hi: number, level: number): number {
    // Not through entryOutputAddress(): a double returned from a call not inlined is boxed.
    return maskedPfn(lo, hi, level > 1 && (lo & PS) !== 0 ? this.leafAddr[level]! : ADDR);
  }
  entryOutputAddress(lo: number, hi: number, level: number): number {
    return maskedAddress(lo, hi, level > 1 && (lo & PS) !== 0 ? this.leafAddr[level]! : ADDR);
  }
  entryPerm(lo: number, _hi: number, _level: number): number {
    return (lo & P) === 0 ? 0 : PERM_READ | ((lo & RW) !== 0 ? PERM_WRITE : 0);
  }
  hasReservedBits(lo: number, _hi: number, level: number): boolean {
    return level > 1 && (lo & PS) !== 0 && (lo & this.rsvdPsLo[level]!) !== 0;
  }
  writeLeaf(words: Uint32Array, index: number, pa: number, _sizeLg2: number, perm: number, level: number): void {
    // Linux x86_64_pt_iommu_set_prot(): U | A, and RW | D when writable; PS above level 1.
    const writable = (perm & PERM_WRITE) !== 0 ? RW | D : 0;
    words[2 * index] = (addrLo(pa) | P | US | A | writable | (level > 1 ? PS : 0)) >>> 0;
    words[2 * index + 1] = addrHi(pa);
  }
  writeTable(words: Uint32Array, index: number, tablePa: number, _level: number): void {
    // Linux x86_64_pt_install_table(): P | RW | U | A.
    words[2 * index] = (addrLo(tablePa) | P | RW | US | A) >>> 0;
    words[2 * index + 1] = addrHi(tablePa);
  }
}

export function vtdFirstStageFormat(opts: VtdFirstStageOptions): PageTableFormat {
  return new VtdFirstStageFormat(opts);
}

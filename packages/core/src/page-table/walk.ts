// SPDX-License-Identifier: Apache-2.0
// The page walk, written once for every format (Linux generic_pt pt_walk_range()/pt_descend();
// the hardware walks of VT-d §3.6/§3.7 and AMD-Vi §2.2.3). Hot path: no allocation, no bigint;
// entries are read as two 32-bit halves straight from the table page's Uint32Array.
//
// Order of checks at each level, as the hardware does: present, then reserved bits (reported as
// the format's reservedStatus when it has one: Arm address-size and access-flag faults), then the
// kind of entry. Permission is the AND of every entry's permission on the way (AMD-Vi IR/IW,
// VT-d R/W, x86 R/W, Arm AP/APTable/S2AP) and is checked once, at the leaf.
//
// Tables are 2^granuleLg2 bytes (4 KiB for the x86 formats, 4/16/64 KiB for Arm), kept in
// simulated memory as runs of 4 KiB pages: entry i of a table lives in its page i >> 9, word 2(i & 511).
//
// Model departure: a pointer to memory that was never written (neither a table page nor a touched
// data page) ends the walk with WALK_BAD_POINTER. Hardware would read zeros and report "not
// present"; the model keeps the two apart because such a pointer is always a driver bug.

import type { PhysMemory } from '../memory/phys-memory';
import {
  ENTRY_EMPTY,
  ENTRY_LEAF,
  type PageTableFormat,
  PERM_RW,
  WALK_BAD_POINTER,
  WALK_BEYOND_WIDTH,
  WALK_NOT_PRESENT,
  WALK_OK,
  WALK_PERMISSION,
  WALK_RESERVED,
  WALK_SKIP_NONZERO,
  type WalkOut,
} from './format';
import { addrHi, POW2 } from './level-math';

/** Deepest level any format has (AMD-Vi mode 6); sizes of WalkPath arrays. */
export const MAX_LEVELS = 6;

/**
 * Optional record of the tables a walk went through, for paging-structure caches: for each level
 * k the walk read, tablePa[k] is the table of level k and perm[k] the permission accumulated by
 * the entries above it. Entries for levels the walk did not reach are left as they were.
 */
export interface WalkPath {
  readonly tablePa: Float64Array;
  readonly perm: Uint8Array;
}

export function newWalkPath(): WalkPath {
  return { tablePa: new Float64Array(MAX_LEVELS + 1), perm: new Uint8Array(MAX_LEVELS + 1) };
}

/**
 * Walks the table rooted at `rootPa` for `iova` and fills `out`. `access` is the PERM_* bits the
 * request needs (0 for a lookup that needs none, such as iova_to_phys).
 */
export function walk(
  mem: PhysMemory,
  fmt: PageTableFormat,
  rootPa: number,
  iova: number,
  access: number,
  out: WalkOut,
  path?: WalkPath,
): void {
  walk32(mem, fmt, rootPa, iova | 0, addrHi(iova), access, out, path);
}

/**
 * walk() of the address whose 32-bit halves are `iovaLo` (`iova | 0`, the low half as a signed
 * int32) and `iovaHi` (`addrHi(iova)`): the form the translation hot paths call. Small integers
 * pass through a call as they are; an address of 2^31 or more as a double would be boxed into a
 * new heap number at every call that V8 does not inline (16 bytes a walk, issue #19).
 */
export function walk32(
  mem: PhysMemory,
  fmt: PageTableFormat,
  rootPa: number,
  iovaLo: number,
  iovaHi: number,
  access: number,
  out: WalkOut,
  path?: WalkPath,
): void {
  if (!(iovaHi * 4294967296 + (iovaLo >>> 0) < POW2[fmt.inputWidth]!)) {
    setFault(out, WALK_BEYOND_WIDTH, fmt.levels, 0, 0);
    return;
  }
  walkFromLevel32(mem, fmt, rootPa, fmt.levels, iovaLo, iovaHi, access, PERM_RW, out, path);
}

/**
 * Walks from the table of `level` at `tablePa`, as after a paging-structure-cache hit: `perm` is
 * the permission accumulated by the entries above (PERM_RW at the root). out.levelsRead counts only
 * the entries this call reads. The caller has checked the input width.
 */
export function walkFromLevel(
  mem: PhysMemory,
  fmt: PageTableFormat,
  tablePa: number,
  level: number,
  iova: number,
  access: number,
  perm: number,
  out: WalkOut,
  path?: WalkPath,
): void {
  walkFromLevel32(mem, fmt, tablePa, level, iova | 0, addrHi(iova), access, perm, out, path);
}

/** walkFromLevel() of an address given as its 32-bit halves, as walk32() takes it. */
export function walkFromLevel32(
  mem: PhysMemory,
  fmt: PageTableFormat,
  tablePa: number,
  level: number,
  iovaLo: number,
  iovaHi: number,
  access: number,
  perm: number,
  out: WalkOut,
  path?: WalkPath,
): void {
  const ivLo = iovaLo >>> 0;
  const ivHi = iovaHi;
  const g = fmt.granuleLg2;
  const stride = g - 3;
  const top = fmt.levels;
  const strideMask = (1 << stride) - 1;
  const topMask = POW2[fmt.inputWidth - (g + stride * (top - 1))]! - 1;
  let reads = 0;
  for (;;) {
    if (path !== undefined) {
      path.tablePa[level] = tablePa;
      path.perm[level] = perm;
    }
    const shift = g + stride * (level - 1);
    const mask = level === top ? topMask : strideMask;
    // Bits of the high half shifted below bit 32 - shift fall outside any mask (shift >= 12, mask <= 17 bits).
    const idx = shift < 32 ? ((ivLo >>> shift) | (ivHi << (32 - shift))) & mask : (ivHi >>> (shift - 32)) & mask;
    const words = mem.words(tablePa / 4096 + (idx >>> 9));
    if (words === undefined) {
      setFault(out, WALK_BAD_POINTER, level, reads, perm);
      return;
    }
    const e = 2 * (idx & 511);
    const lo = words[e]!;
    const hi = words[e + 1]!;
    reads++;
    const kind = fmt.entryKind(lo, hi, level);
    if (kind === ENTRY_EMPTY) {
      setFault(out, WALK_NOT_PRESENT, level, reads, perm);
      return;
    }
    if (fmt.hasReservedBits(lo, hi, level)) {
      const status = fmt.reservedStatus === undefined ? WALK_RESERVED : fmt.reservedStatus(lo, hi, level);
      setFault(out, status, level, reads, perm);
      return;
    }
    perm &= fmt.entryPerm(lo, hi, level);
    if (kind === ENTRY_LEAF) {
      const sizeLg2 = fmt.leafSizeLg2(lo, hi, level);
      const offset =
        sizeLg2 < 32 ? (ivLo & (POW2[sizeLg2]! - 1)) >>> 0 : ivLo + (ivHi % POW2[sizeLg2 - 32]!) * 4294967296;
      out.status = (access & ~perm) === 0 ? WALK_OK : WALK_PERMISSION;
      out.pa = fmt.entryOutputPfn(lo, hi, level) * 4096 + offset;
      out.sizeLg2 = sizeLg2;
      out.perm = perm;
      out.levelsRead = reads;
      out.level = level;
      return;
    }
    const next = fmt.nextLevel(lo, hi, level);
    if (next < 1 || next >= level) {
      setFault(out, WALK_RESERVED, level, reads, perm);
      return;
    }
    // AMD-Vi level skip: the index bits of the skipped levels [shift(next + 1), shift(level)) must be 0.
    if (next < level - 1) {
      const low = g + stride * next;
      if (Math.floor((ivHi * 4294967296 + ivLo) / POW2[low]!) % POW2[shift - low]! !== 0) {
        setFault(out, WALK_SKIP_NONZERO, level, reads, perm);
        return;
      }
    }
    tablePa = fmt.entryOutputPfn(lo, hi, level) * 4096;
    level = next;
  }
}

/** Fills `out` for a walk that stopped with `status` at `level` (also used by nested walks). */
export function setFault(out: WalkOut, status: number, level: number, reads: number, perm: number): void {
  setWalkOut(out, status, 0, 0, perm, reads, level);
}

/** Fills every field of `out` (a walk's result; WalkOut says what each is). */
export function setWalkOut(
  out: WalkOut,
  status: number,
  pa: number,
  sizeLg2: number,
  perm: number,
  reads: number,
  level: number,
): void {
  out.status = status;
  out.pa = pa;
  out.sizeLg2 = sizeLg2;
  out.perm = perm;
  out.levelsRead = reads;
  out.level = level;
}

/**
 * The result of a nested walk that reached a first-stage leaf and translated its output through
 * the second stage (`inner`): the smaller of the two pages, the permission of both stages.
 */
export function setNestedLeaf(
  out: WalkOut,
  status: number,
  pa: number,
  s1SizeLg2: number,
  s1Perm: number,
  inner: WalkOut,
  reads: number,
  level: number,
): void {
  setWalkOut(out, status, pa, Math.min(s1SizeLg2, inner.sizeLg2), s1Perm & inner.perm, reads, level);
}

/**
 * One entry of a first stage read by a nested walk (SMMUv3 stage 1 over stage 2, VT-d first stage
 * over second stage), checked as walk() checks it: present, then the format's reserved bits (the
 * format's own status for them, e.g. an Arm address-size fault). Returns the entry's kind; on
 * ENTRY_EMPTY the fault is set in `out`. walk() keeps these checks inline (its hot loop).
 */
export function nestedEntryKind(
  fmt: PageTableFormat,
  lo: number,
  hi: number,
  level: number,
  reads: number,
  perm: number,
  out: WalkOut,
): number {
  const kind = fmt.entryKind(lo, hi, level);
  if (kind === ENTRY_EMPTY) {
    setFault(out, WALK_NOT_PRESENT, level, reads, perm);
    return ENTRY_EMPTY;
  }
  if (fmt.hasReservedBits(lo, hi, level)) {
    setFault(out, fmt.reservedStatus?.(lo, hi, level) ?? WALK_RESERVED, level, reads, perm);
    return ENTRY_EMPTY;
  }
  return kind;
}

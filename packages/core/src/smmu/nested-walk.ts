// SPDX-License-Identifier: Apache-2.0
// The nested walk of an STE with Config = 0b111 (IHI 0070 G.b §3.4.4 "Stage 1 and stage 2
// translation"): every stage-1 table address and the stage-1 output are IPAs, each translated by a
// stage-2 walk. A stage-2 fault while fetching a stage-1 descriptor is reported with CLASS = TT (a
// translation-table read, TTRnW = 1); on the final IPA with CLASS = IN.
//
// Not cached: nested walks do not use the walk caches (the combined result goes to the TLB).

import type { PhysMemory } from '../memory/phys-memory';
import {
  ENTRY_EMPTY,
  ENTRY_LEAF,
  type PageTableFormat,
  PERM_READ,
  PERM_RW,
  WALK_BAD_POINTER,
  WALK_BEYOND_WIDTH,
  WALK_OK,
  WALK_PERMISSION,
  type WalkOut,
} from '../page-table/format';
import { addrHi, addrLo, fmtLevelShift, fmtTableIndex, POW2 } from '../page-table/level-math';
import { nestedEntryKind, setFault, setNestedLeaf, walk } from '../page-table/walk';
import { EVT_CLASS } from './event-queue';

/** Which stage a nested walk stopped in, and where (filled on failure). */
export interface NestedInfo {
  s2: boolean;
  class: number;
  /** The IPA stage 2 was translating when it faulted. */
  ipa: number;
}

export function newNestedInfo(): NestedInfo {
  return { s2: false, class: EVT_CLASS.IN, ipa: 0 };
}

/** Stage 2 of `ipa`: the physical address, or -1 with `inner` holding the fault. */
function s2(mem: PhysMemory, fmt: PageTableFormat, root: number, ipa: number, need: number, inner: WalkOut): number {
  walk(mem, fmt, root, ipa, need, inner);
  return inner.status === WALK_OK ? inner.pa : -1;
}

export function nestedWalk(
  mem: PhysMemory,
  s1: PageTableFormat,
  s1Root: number,
  s2fmt: PageTableFormat,
  s2Root: number,
  iova: number,
  need: number,
  out: WalkOut,
  inner: WalkOut,
  info: NestedInfo,
): void {
  info.s2 = false;
  info.class = EVT_CLASS.IN;
  if (!(iova < POW2[s1.inputWidth]!)) {
    setFault(out, WALK_BEYOND_WIDTH, s1.levels, 0, 0);
    return;
  }
  let reads = 0;
  let tableIpa = s1Root;
  let perm = PERM_RW;
  const lo = addrLo(iova);
  const hi = addrHi(iova);
  for (let level = s1.levels; level >= 1; level--) {
    const idx = fmtTableIndex(s1, lo, hi, level);
    const entryIpa = tableIpa + 8 * idx;
    const entryPa = s2(mem, s2fmt, s2Root, entryIpa, PERM_READ, inner);
    reads += inner.levelsRead;
    if (entryPa < 0) {
      info.s2 = true;
      info.class = EVT_CLASS.TT;
      info.ipa = entryIpa;
      setFault(out, inner.status, level, reads, perm);
      return;
    }
    const words = mem.words(Math.floor(entryPa / 4096));
    if (words === undefined) {
      setFault(out, WALK_BAD_POINTER, level, reads, perm);
      return;
    }
    const e = (entryPa % 4096) / 4;
    const elo = words[e]!;
    const ehi = words[e + 1]!;
    reads++;
    const kind = nestedEntryKind(s1, elo, ehi, level, reads, perm, out);
    if (kind === ENTRY_EMPTY) return;
    perm &= s1.entryPerm(elo, ehi, level);
    if (kind !== ENTRY_LEAF) {
      tableIpa = s1.entryOutputAddress(elo, ehi, level);
      continue;
    }
    const sizeLg2 = fmtLevelShift(s1, level);
    if ((need & ~perm) !== 0) {
      setFault(out, WALK_PERMISSION, level, reads, perm);
      return;
    }
    const ipa = s1.entryOutputAddress(elo, ehi, level) + (iova % POW2[sizeLg2]!);
    const pa = s2(mem, s2fmt, s2Root, ipa, need, inner);
    reads += inner.levelsRead;
    if (pa < 0) {
      info.s2 = true;
      info.ipa = ipa;
      setFault(out, inner.status, level, reads, perm & inner.perm);
      return;
    }
    setNestedLeaf(out, WALK_OK, pa, sizeLg2, perm, inner, reads, level);
    return;
  }
}

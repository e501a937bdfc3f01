// SPDX-License-Identifier: Apache-2.0
// A walk through a paging-structure cache, shared by the units that have one: VT-d's
// paging-structure caches (spec rev 4.1 §6.2.4) and AMD-Vi's page-directory cache. It starts from
// the lowest cached non-leaf entry (the PDE level first) and caches the non-leaf entries it reads.

import type { PagingStructureCache } from '../caches/paging-structure-cache';
import type { PhysMemory } from '../memory/phys-memory';
import type { PageTableFormat, WalkOut } from './format';
import { pfnOfHalves } from './level-math';
import { type WalkPath, walk32, walkFromLevel32 } from './walk';

/**
 * Walks the address in domain `did` (table at `rootPa`) through `psc` and fills `w`; returns true
 * when the walk started from a cached entry. Only levels this walk visited are cached: `path` is
 * cleared first, so an AMD-Vi Next Level that skips levels leaves the skipped ones out. The address
 * comes as its 32-bit halves, as walk32() takes it (no heap number per call).
 */
export function cachedWalk(
  mem: PhysMemory,
  fmt: PageTableFormat,
  psc: PagingStructureCache,
  did: number,
  rootPa: number,
  iovaLo: number,
  iovaHi: number,
  need: number,
  w: WalkOut,
  path: WalkPath,
): boolean {
  const pfn = pfnOfHalves(iovaLo, iovaHi); // the cache's key: the 4 KiB page number
  const levels = fmt.levels;
  path.tablePa.fill(-1);
  let top = levels;
  for (let level = 2; level <= levels; level++) {
    const table = psc.lookup(did, pfn, level);
    if (table >= 0) {
      walkFromLevel32(mem, fmt, table, level - 1, iovaLo, iovaHi, need, psc.lastPerm, w, path);
      top = level - 1;
      break;
    }
  }
  if (top === levels) walk32(mem, fmt, rootPa, iovaLo, iovaHi, need, w, path);
  for (let level = top; level >= 2; level--) {
    const table = path.tablePa[level - 1]!;
    if (table >= 0) psc.insert(did, pfn, level, table, path.perm[level - 1]!);
  }
  return top < levels;
}

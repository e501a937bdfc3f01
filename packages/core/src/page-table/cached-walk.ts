// SPDX-License-Identifier: Apache-2.0
// A walk through a paging-structure cache, shared by the units that have one: VT-d's
// paging-structure caches (spec rev 4.1 §6.2.4) and AMD-Vi's page-directory cache. It starts from
// the lowest cached non-leaf entry (the PDE level first) and caches the non-leaf entries it reads.

import type { PagingStructureCache } from '../caches/paging-structure-cache';
import type { PhysMemory } from '../memory/phys-memory';
import type { PageTableFormat, WalkOut } from './format';
import { type WalkPath, walk, walkFromLevel } from './walk';

/**
 * Walks `iova` in domain `did` (table at `rootPa`) through `psc` and fills `w`; returns true when
 * the walk started from a cached entry. Only levels this walk visited are cached: `path` is
 * cleared first, so an AMD-Vi Next Level that skips levels leaves the skipped ones out.
 */
export function cachedWalk(
  mem: PhysMemory,
  fmt: PageTableFormat,
  psc: PagingStructureCache,
  did: number,
  rootPa: number,
  iova: number,
  need: number,
  w: WalkOut,
  path: WalkPath,
): boolean {
  const levels = fmt.levels;
  path.tablePa.fill(-1);
  let top = levels;
  for (let level = 2; level <= levels; level++) {
    const table = psc.lookup(did, iova, level);
    if (table >= 0) {
      walkFromLevel(mem, fmt, table, level - 1, iova, need, psc.lastPerm, w, path);
      top = level - 1;
      break;
    }
  }
  if (top === levels) walk(mem, fmt, rootPa, iova, need, w, path);
  for (let level = top; level >= 2; level--) {
    const table = path.tablePa[level - 1]!;
    if (table >= 0) psc.insert(did, iova, level, table, path.perm[level - 1]!);
  }
  return top < levels;
}

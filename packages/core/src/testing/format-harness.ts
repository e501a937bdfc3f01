// SPDX-License-Identifier: Apache-2.0
// What each page-table format's golden test starts from, written once: a table of the format in a
// fresh PhysMemory (its pool starts at 0x1000_0000, so the root is 0x1000_0000 and the next tables
// follow it) and the generic walk() of it.

import { PhysMemory } from '../memory/phys-memory';
import { newWalkOut, type PageTableFormat, type WalkOut } from '../page-table/format';
import { PageTable } from '../page-table/page-table';
import { walk } from '../page-table/walk';

export interface FormatHarness<F extends PageTableFormat> {
  readonly mem: PhysMemory;
  readonly fmt: F;
  readonly pt: PageTable;
  /** walk() of `iova` for `access` (PERM_* bits) from the table's root, into a fresh WalkOut. */
  walk(iova: number, access: number): WalkOut;
}

export function formatHarness<F extends PageTableFormat>(fmt: F): FormatHarness<F> {
  const mem = new PhysMemory();
  const pt = new PageTable(mem, fmt);
  return {
    mem,
    fmt,
    pt,
    walk: (iova, access) => {
      const out = newWalkOut();
      walk(mem, fmt, pt.rootPa, iova, access, out);
      return out;
    },
  };
}

// SPDX-License-Identifier: Apache-2.0
// Brute-force reference for PageTable (after Linux kunit_generic_pt.h, which checks the optimised
// table against simple counting): a Map from each leaf's iova to {pa, size, perm}, searched
// linearly. It knows nothing of entries or formats beyond the list of page sizes and the number
// of levels; it restates Linux's rules (iommu_pgsize() split, whole-leaf unmap, stop at a hole).

export interface RefLeaf {
  iova: number;
  pa: number;
  sizeLg2: number;
  perm: number;
}

/** Largest k with 2^k dividing x (64 for 0). */
function alignmentLg2(x: number): number {
  if (x === 0) return 64;
  let k = 0;
  while (x % 2 ** (k + 1) === 0) k++;
  return k;
}

/** Largest k with 2^k <= x. */
function floorLg2(x: number): number {
  let k = 0;
  while (2 ** (k + 1) <= x) k++;
  return k;
}

export class ReferencePageTable {
  readonly leaves = new Map<number, RefLeaf>();

  /**
   * `sizesLg2`: the page sizes the table may use; `levels`: levels of the root; `granuleLg2`: the
   * table size (each table holds 2^(granuleLg2 - 3) entries; 12 for every x86 format).
   */
  constructor(
    readonly sizesLg2: readonly number[],
    readonly levels: number,
    readonly granuleLg2 = 12,
  ) {}

  /** The leaves a map of [iova, iova+length) is split into: iommu_pgsize() at every step. */
  split(iova: number, pa: number, lengthBytes: number, perm: number): RefLeaf[] {
    const out: RefLeaf[] = [];
    for (let done = 0; done < lengthBytes; ) {
      const limit = Math.min(alignmentLg2(iova + done), alignmentLg2(pa + done), floorLg2(lengthBytes - done));
      let best = -1;
      for (const s of this.sizesLg2) if (s <= limit && s > best) best = s;
      out.push({ iova: iova + done, pa: pa + done, sizeLg2: best, perm });
      done += 2 ** best;
    }
    return out;
  }

  overlaps(iova: number, lengthBytes: number): boolean {
    for (const l of this.leaves.values()) {
      if (l.iova < iova + lengthBytes && iova < l.iova + 2 ** l.sizeLg2) return true;
    }
    return false;
  }

  /** Returns false (and changes nothing) when the range overlaps a mapping. */
  map(iova: number, pa: number, lengthBytes: number, perm: number): boolean {
    if (this.overlaps(iova, lengthBytes)) return false;
    for (const leaf of this.split(iova, pa, lengthBytes, perm)) this.leaves.set(leaf.iova, leaf);
    return true;
  }

  /** The leaf containing iova, if any. */
  find(iova: number): RefLeaf | undefined {
    for (const s of this.sizesLg2) {
      const base = iova - (iova % 2 ** s);
      const leaf = this.leaves.get(base);
      if (leaf !== undefined && leaf.sizeLg2 === s) return leaf;
    }
    return undefined;
  }

  unmap(iova: number, lengthBytes: number): number {
    let unmapped = 0;
    while (unmapped < lengthBytes) {
      const leaf = this.find(iova + unmapped);
      if (leaf === undefined || leaf.iova !== iova + unmapped) break;
      this.leaves.delete(leaf.iova);
      unmapped += 2 ** leaf.sizeLg2;
    }
    return unmapped;
  }

  /**
   * Level of the table entry a leaf of 2^sizeLg2 lives in: g - 3 index bits per level from bit g
   * (9 from bit 12 with 4 KiB tables).
   */
  static levelOf(sizeLg2: number, granuleLg2 = 12): number {
    return Math.floor((sizeLg2 - granuleLg2) / (granuleLg2 - 3)) + 1;
  }

  /** Tables a table holding exactly these leaves needs, root included (empty tables freed). */
  expectedTablePages(): number {
    const g = this.granuleLg2;
    const tables = new Set<string>();
    for (const l of this.leaves.values()) {
      for (let k = ReferencePageTable.levelOf(l.sizeLg2, g); k < this.levels; k++) {
        tables.add(`${k}:${Math.floor(l.iova / 2 ** (g + (g - 3) * k))}`);
      }
    }
    return tables.size + 1;
  }

  sorted(): RefLeaf[] {
    return [...this.leaves.values()].sort((a, b) => a.iova - b.iova);
  }
}

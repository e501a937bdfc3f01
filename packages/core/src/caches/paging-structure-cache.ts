// SPDX-License-Identifier: Apache-2.0
// Paging-structure caches (VT-d spec rev 4.1 §6.2.4: second-level PML5E/PML4E/PDPE/PDE caches;
// the SMMUv3 walk caches of IHI 0070 §16.2 take the same shape, with any granule):
// for each level L >= 2, a cache of non-leaf entries keyed by domain id and the IOVA bits the
// entry translates, giving the physical address of the level L-1 table and the permission
// accumulated on the way, so a walk can start below the root. Per level, `ways`-way set-associative
// (1 way, the default: direct-mapped, as the VT-d and AMD-Vi units use it); a fill takes an
// invalid way of its set, else the set's round-robin victim (Arm's MMU-600 TCU walk caches are
// 4-way set-associative with round-robin replacement: MMU-600AE TRM 101412 §2.2, §2.2.3). A set is
// chosen by the IOVA bits alone, so entries of several domains for the same IOVA share a set and
// coexist only with more than one way (SMMUv3 walk caches, smmu/tlb-contexts.ts).
// Typed arrays; no allocation. Sizes are parameters (default 32 entries per level).

import { CoreError } from '../errors';
import { granuleLevelShift, POW2 } from '../page-table/level-math';

const INVALID = -1;

export class PagingStructureCache {
  private readonly tagDid: Int32Array;
  private readonly tagPage: Float64Array;
  private readonly table: Float64Array;
  private readonly perm: Uint8Array;
  /** Each set's next round-robin victim (a way index), by level * sets + set. */
  private readonly victim: Uint8Array;
  private readonly sets: number;
  /** 4 KiB pages one entry of each level covers (index = level). */
  private readonly levelSpan: Float64Array;
  lastPerm = 0;
  hits = 0;
  misses = 0;

  /**
   * @param maxLevel highest level whose entries are cached (the root table's level).
   * @param granuleLg2 the table format's granule (12 for the x86 formats; Arm also 14 and 16):
   *   an entry at level L covers 2^(g + (g-3)(L-1)) bytes.
   * @param ways entries of a set (entriesPerLevel / ways sets per level).
   */
  constructor(
    readonly maxLevel: number,
    readonly entriesPerLevel = 32,
    readonly granuleLg2 = 12,
    readonly ways = 1,
  ) {
    if (!Number.isInteger(ways) || ways < 1 || ways > 256 || entriesPerLevel % ways !== 0)
      throw new CoreError(
        'INVALID_ARGUMENT',
        `paging-structure cache: ${entriesPerLevel} entries per level do not split into ${ways} ways`,
        { entriesPerLevel, ways },
      );
    this.sets = entriesPerLevel / ways;
    this.levelSpan = new Float64Array(maxLevel + 1);
    for (let l = 1; l <= maxLevel; l++) this.levelSpan[l] = POW2[granuleLevelShift(granuleLg2, l) - 12]!;
    const n = (maxLevel + 1) * entriesPerLevel;
    this.tagDid = new Int32Array(n).fill(INVALID);
    this.tagPage = new Float64Array(n);
    this.table = new Float64Array(n);
    this.perm = new Uint8Array(n);
    this.victim = new Uint8Array((maxLevel + 1) * this.sets);
  }

  /** First entry of the set `page` falls in at `level`. */
  private setStart(level: number, page: number): number {
    return level * this.entriesPerLevel + ((page >>> 0) % this.sets) * this.ways;
  }

  /** The entry holding (did, page) in its set, or -1. */
  private find(did: number, level: number, page: number): number {
    const first = this.setStart(level, page);
    for (let e = first; e < first + this.ways; e++) if (this.tagDid[e] === did && this.tagPage[e] === page) return e;
    return -1;
  }

  /**
   * The table of level `level - 1` that the level-`level` entry for the address points to, or -1.
   * The address comes as its 4 KiB page number (`iova / 4096`, floored): below 8 TiB a small
   * integer, which a call that V8 does not inline passes as it is (an address of 2 GiB or more
   * as a double would be boxed into a heap number per call, issue #19).
   */
  lookup(did: number, iovaPfn: number, level: number): number {
    const page = Math.floor(iovaPfn / this.levelSpan[level]!);
    const e = this.find(did, level, page);
    if (e >= 0) {
      this.hits++;
      this.lastPerm = this.perm[e]!;
      return this.table[e]!;
    }
    this.misses++;
    return -1;
  }

  /** Caches the level-`level` entry for the address (its 4 KiB page number, as lookup()). */
  insert(did: number, iovaPfn: number, level: number, tablePa: number, perm: number): void {
    const page = Math.floor(iovaPfn / this.levelSpan[level]!);
    let e = this.find(did, level, page);
    if (e < 0) {
      // An invalid way first, else the set's round-robin victim.
      const first = this.setStart(level, page);
      for (let k = first; k < first + this.ways && e < 0; k++) if (this.tagDid[k] === INVALID) e = k;
      if (e < 0) {
        const set = level * this.sets + ((page >>> 0) % this.sets);
        e = first + this.victim[set]!;
        this.victim[set] = (this.victim[set]! + 1) % this.ways;
      }
    }
    this.tagDid[e] = did;
    this.tagPage[e] = page;
    this.table[e] = tablePa;
    this.perm[e] = perm;
  }

  invalidateDomain(did: number): void {
    for (let e = 0; e < this.tagDid.length; e++) if (this.tagDid[e] === did) this.tagDid[e] = INVALID;
  }

  invalidateAll(): void {
    this.tagDid.fill(INVALID);
  }
}

// SPDX-License-Identifier: Apache-2.0
// The IOTLB: a set-associative cache of translations, tagged by domain id, PASID and page size.
// Real IOTLB geometries are not published (facts sheet §7, measurements "Gaps" 2): entries, ways
// and replacement are parameters. Storage is typed arrays; lookup and insert do not allocate.
//
// Page sizes: an entry caches one leaf of 2^sizeLg2 bytes. The set index comes from the page
// number at the entry's own size, so a lookup probes one set per page size present in the cache
// (the hot path probes 4 KiB first; larger sizes only when the cache holds any).

import { POW2 } from '../page-table/level-math';
import { DEFAULT_IOTLB_GEOMETRY, type IotlbGeometry, type IotlbLike } from './cache-types';

const INVALID = -1;

export class Iotlb implements IotlbLike {
  readonly sets: number;
  readonly ways: number;
  /** Tag: domain id (or -1 invalid), PASID, page size, page number (iova >> sizeLg2). */
  private readonly tagDomain: Int32Array;
  private readonly tagPasid: Int32Array;
  private readonly tagSize: Uint8Array;
  private readonly tagPage: Float64Array;
  private readonly outPage: Float64Array;
  private readonly perm: Uint8Array;
  /** LRU/FIFO stamp per entry. */
  private readonly stamp: Float64Array;
  private clock = 1;
  private rng = 0x2545f491;
  /** How many valid entries of each page size (lg2 index) are cached: sizes to probe. */
  private readonly sizeCount = new Int32Array(64);
  private readonly sizesPresent: number[] = [];
  /** sizesPresent is exactly [12] (kept by addSize/dropSize: one field load on the hot path). */
  private only4k = false;
  /** only4k and a power-of-two set count: lookup() takes find4k(). */
  private fast4k = false;
  lastPerm = 0;
  lastSizeLg2 = 12;
  /** find(): the output address of the last hit (a double from the start, so the field stays one). */
  lastPa = 0.5;
  hits = 0;
  misses = 0;

  constructor(readonly geometry: IotlbGeometry = DEFAULT_IOTLB_GEOMETRY) {
    if (geometry.entries <= 0 || geometry.ways <= 0 || geometry.entries % geometry.ways !== 0) {
      throw new RangeError(
        `IOTLB geometry ${geometry.entries} entries / ${geometry.ways} ways is not a whole number of sets`,
      );
    }
    this.ways = geometry.ways;
    this.sets = geometry.entries / geometry.ways;
    this.setMask = (this.sets & (this.sets - 1)) === 0 ? this.sets - 1 : -1;
    this.setShift = this.setMask >= 0 ? 31 - Math.clz32(this.sets) : 0;
    this.wayMask = (this.ways & (this.ways - 1)) === 0 ? this.ways - 1 : 0;
    this.lru = geometry.replacement === 'lru';
    this.random = geometry.replacement === 'random';
    const n = geometry.entries;
    this.tagDomain = new Int32Array(n).fill(INVALID);
    this.tagPasid = new Int32Array(n);
    this.tagSize = new Uint8Array(n);
    this.tagPage = new Float64Array(n);
    this.outPage = new Float64Array(n);
    this.perm = new Uint8Array(n);
    this.stamp = new Float64Array(n);
  }

  /** sets - 1 when sets is a power of two (then the set is the page number's low bits). */
  private readonly setMask: number;
  /**
   * Way prediction (a software technique, not a model of the hardware): a 4 KiB entry goes into
   * its preferred way — the page number's bits above the set index, masked to the ways — when that
   * way is free, and a lookup probes it first. Which entries are cached, hits, misses and LRU/FIFO
   * victims are exactly as without it; only the scan order changes, so a lookup of an entry in its
   * preferred way does not mispredict the loop's exit (~15 ns of a ~35 ns hit, issue #19).
   * setShift = log2(sets); wayMask = ways - 1 (0 when ways is not a power of two: way 0 first).
   */
  private readonly setShift: number;
  private readonly wayMask: number;
  /** The replacement policy as booleans (a string compare per hit costs on the hot path). */
  private readonly lru: boolean;
  private readonly random: boolean;

  private setOf(page: number): number {
    // Low bits of the page number pick the set. `page >>> 0` is page mod 2^32 for any page < 2^53.
    return (this.setMask >= 0 ? (page >>> 0) & this.setMask : page % this.sets) * this.ways;
  }

  /** The output address of `iova` (page base + offset), or -1 on a miss; find() is the form that returns no double. */
  lookup(domainId: number, pasid: number, iova: number): number {
    // Hot path: only 4 KiB entries cached (the common case) and a power-of-two set count: the
    // page number and set come from the address's 32-bit halves, without a division. Both finders
    // return the entry (a small integer). The units' translate paths call find() instead: a double
    // passed to or returned from a call V8 does not inline is boxed, one heap number each.
    if (this.fast4k) {
      const off = (iova >>> 0) & 0xfff;
      const e = this.find4k(domainId, pasid, (iova - off) / 4096);
      return e < 0 ? -1 : this.outPage[e]! + off;
    }
    const e = this.findAnySize(domainId, pasid, iova);
    return e < 0 ? -1 : this.outPage[e]! + (iova - this.tagPage[e]! * POW2[this.lastSizeLg2]!);
  }

  /**
   * lookup() for the units' translate paths: the entry that hits (>= 0, its output address in
   * `lastPa`, its permission in `lastPerm`), or -1. A small integer, never a double: whether V8
   * inlines a call depends on what else the process ran and on its inlining budget, and a
   * lookup() left out of line boxed its result (and its address argument, on walks too) in some
   * runs — 16 bytes per translation, issue #19; VT-d's hit path too since a CI run. `lastPa` is a
   * field written in place. For the same reason the address comes in the request (`req.address`):
   * an object passes through a call as it is, an address of 2 GiB or more as a double argument
   * would be boxed whenever the call is not inlined.
   */
  find(domainId: number, pasid: number, req: { readonly address: number }): number {
    const iova = req.address;
    const e = this.fast4k
      ? this.find4k(domainId, pasid, (iova - ((iova >>> 0) & 0xfff)) / 4096)
      : this.findAnySize(domainId, pasid, iova);
    if (e < 0) return -1;
    // Computed here, not in a helper: a helper's double result would be boxed if not inlined.
    this.lastPa =
      this.lastSizeLg2 === 12
        ? this.outPage[e]! + ((iova >>> 0) & 0xfff)
        : this.outPage[e]! + (iova - this.tagPage[e]! * POW2[this.lastSizeLg2]!);
    return e;
  }

  /** lookup() in general: one set per page size present; the entry that hits, or -1. */
  private findAnySize(domainId: number, pasid: number, iova: number): number {
    const sizes = this.sizesPresent;
    for (let s = 0; s < sizes.length; s++) {
      const lg2 = sizes[s]!;
      const page = Math.floor(iova / POW2[lg2]!);
      const base = this.setOf(page);
      for (let w = 0; w < this.ways; w++) {
        const e = base + w;
        if (
          this.tagPage[e] === page &&
          this.tagDomain[e] === domainId &&
          this.tagSize[e] === lg2 &&
          this.tagPasid[e] === pasid
        ) {
          if (this.lru) this.stamp[e] = this.clock++;
          this.lastPerm = this.perm[e]!;
          this.lastSizeLg2 = lg2;
          this.hits++;
          return e;
        }
      }
    }
    this.misses++;
    return -1;
  }

  /**
   * lookup() when the cache holds 4 KiB entries only and sets is a power of two: the entry that
   * hits (its LRU stamp, lastPerm and the hit counted), or -1 (the miss counted). `page` is the
   * address's 4 KiB page number: below 8 TiB a small integer, which a call that V8 does not inline
   * passes as it is (the address itself, a double from 2 GiB up, would be boxed).
   */
  private find4k(domainId: number, pasid: number, page: number): number {
    const pg = page >>> 0;
    const ways = this.ways;
    const base = (pg & this.setMask) * ways;
    const end = base + ways;
    // The entry's preferred way first (see setShift/wayMask): a predictable exit when it is there;
    // then the other ways in order, wrapping. Entries of one tag are unique, so the order of the
    // probes changes no result. Every valid entry is 4 KiB here (fast4k), so the size is not
    // compared. One copy of the tag compare and no helper (a call that is not inlined would box
    // `page`, a double): find4k() stays small enough to be inlined whole (issue #19).
    let e = base + ((pg >>> this.setShift) & this.wayMask);
    for (let n = ways; ; ) {
      if (this.tagPage[e] === page && this.tagDomain[e] === domainId && this.tagPasid[e] === pasid) break;
      if (--n === 0) {
        this.misses++;
        return -1;
      }
      if (++e === end) e = base;
    }
    if (this.lru) this.stamp[e] = this.clock++;
    this.lastPerm = this.perm[e]!;
    this.lastSizeLg2 = 12;
    this.hits++;
    return e;
  }

  private victim(base: number): number {
    let v = base;
    for (let w = 0; w < this.ways; w++) {
      const e = base + w;
      if (this.tagDomain[e] === INVALID) return e;
      if (this.stamp[e]! < this.stamp[v]!) v = e;
    }
    if (this.random) {
      this.rng ^= this.rng << 13;
      this.rng ^= this.rng >>> 17;
      this.rng ^= this.rng << 5;
      return base + ((this.rng >>> 0) % this.ways);
    }
    return v;
  }

  /** Caches the translation of `iova`'s page of 2^sizeLg2 bytes to the page holding `pa`. */
  insert(domainId: number, pasid: number, iova: number, pa: number, sizeLg2: number, perm: number): void {
    this.fill(domainId, pasid, Math.floor(iova / 4096), Math.floor(pa / 4096), sizeLg2, perm);
  }

  /**
   * insert() with both addresses as 4 KiB page numbers (`iova / 4096`, `pa / 4096`, floored): the
   * form the units' miss paths call. Below 8 TiB they are small integers, which a call that V8
   * does not inline passes as they are; insert()'s addresses of 2 GiB and more are doubles, boxed
   * into a new heap number each at such a call (16 bytes apiece per fill, issue #19).
   */
  fill(domainId: number, pasid: number, iovaPfn: number, outPfn: number, sizeLg2: number, perm: number): void {
    const span = POW2[sizeLg2 - 12]!; // 4 KiB pages per entry
    const page = sizeLg2 === 12 ? iovaPfn : Math.floor(iovaPfn / span);
    const base = this.setOf(page);
    if (sizeLg2 === 12 && this.only4k) {
      this.insert4k(domainId, pasid, page, base, outPfn, perm);
      return;
    }
    let e = -1;
    for (let w = 0; w < this.ways; w++) {
      const x = base + w;
      if (
        this.tagDomain[x] === domainId &&
        this.tagPage[x] === page &&
        this.tagSize[x] === sizeLg2 &&
        this.tagPasid[x] === pasid
      )
        e = x;
    }
    if (e < 0) {
      e = this.victim(base);
      // Count the new size first, so replacing an entry of the same size never empties the list.
      this.addSize(sizeLg2);
      if (this.tagDomain[e] !== INVALID) this.dropSize(this.tagSize[e]!);
    }
    this.tagDomain[e] = domainId;
    this.tagPasid[e] = pasid;
    this.tagSize[e] = sizeLg2;
    this.tagPage[e] = page;
    this.outPage[e] = (sizeLg2 === 12 ? outPfn : Math.floor(outPfn / span) * span) * 4096;
    this.perm[e] = perm;
    this.stamp[e] = this.clock++;
  }

  /**
   * insert() of a 4 KiB entry when only 4 KiB entries are cached: one pass over the set finds the
   * entry of the same tag, else the first invalid way, else the LRU/FIFO victim (random: as victim()).
   */
  private insert4k(domainId: number, pasid: number, page: number, base: number, outPfn: number, perm: number): void {
    let e = -1;
    let free = -1;
    let oldest = base;
    for (let x = base, end = base + this.ways; x < end; x++) {
      if (this.tagPage[x] === page && this.tagDomain[x] === domainId && this.tagPasid[x] === pasid) {
        e = x;
        break;
      }
      if (this.tagDomain[x] === INVALID) {
        if (free < 0) free = x;
      } else if (this.stamp[x]! < this.stamp[oldest]!) oldest = x;
    }
    if (e < 0) {
      if (free >= 0) {
        // Any free way holds the entry equally (the victim of LRU/FIFO is chosen by stamps, not by
        // position): take the preferred one when it is free. Random replacement picks victims by
        // way number, so there the first free way stays, as before.
        const pref = base + (((page >>> 0) >>> this.setShift) & this.wayMask);
        e = !this.random && this.tagDomain[pref] === INVALID ? pref : free;
        this.sizeCount[12]!++;
      } else e = this.random ? this.victim(base) : oldest;
    }
    this.tagDomain[e] = domainId;
    this.tagPasid[e] = pasid;
    this.tagSize[e] = 12;
    this.tagPage[e] = page;
    this.outPage[e] = outPfn * 4096;
    this.perm[e] = perm;
    this.stamp[e] = this.clock++;
  }

  private addSize(lg2: number): void {
    if (this.sizeCount[lg2]!++ === 0) {
      this.sizesPresent.push(lg2);
      this.sizesPresent.sort((a, b) => a - b);
      this.sizesChanged();
    }
  }

  private dropSize(lg2: number): void {
    if (--this.sizeCount[lg2]! === 0) {
      this.sizesPresent.splice(this.sizesPresent.indexOf(lg2), 1);
      this.sizesChanged();
    }
  }

  private sizesChanged(): void {
    this.only4k = this.sizesPresent.length === 1 && this.sizesPresent[0] === 12;
    this.fast4k = this.only4k && this.setMask >= 0;
  }

  private invalidateWhere(pred: (e: number) => boolean): number {
    let n = 0;
    for (let e = 0; e < this.tagDomain.length; e++) {
      if (this.tagDomain[e] !== INVALID && pred(e)) {
        this.dropSize(this.tagSize[e]!);
        this.tagDomain[e] = INVALID;
        this.tagPage[e] = -1;
        n++;
      }
    }
    return n;
  }

  invalidateAll(): number {
    return this.invalidateWhere(() => true);
  }

  invalidateDomain(domainId: number): number {
    return this.invalidateWhere((e) => this.tagDomain[e] === domainId);
  }

  /** Page-selective: drops entries of the domain (and PASID; < 0 = any) overlapping [iova, iova + 2^sizeLg2). */
  invalidateRange(domainId: number, pasid: number, iova: number, sizeLg2: number): number {
    const lo = iova;
    const hi = iova + 2 ** sizeLg2;
    return this.invalidateWhere((e) => {
      if (this.tagDomain[e] !== domainId || (pasid >= 0 && this.tagPasid[e] !== pasid)) return false;
      const size = 2 ** this.tagSize[e]!;
      const start = this.tagPage[e]! * size;
      return start < hi && lo < start + size;
    });
  }

  get validEntries(): number {
    let n = 0;
    for (let e = 0; e < this.tagDomain.length; e++) if (this.tagDomain[e] !== INVALID) n++;
    return n;
  }
}

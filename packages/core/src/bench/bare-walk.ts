// SPDX-License-Identifier: Apache-2.0
// `iofleet bench core --vs-c --bounds`: how fast JavaScript walks cref.c's tables at all, with no
// IOMMU semantics — the ceiling a faithful VT-d walk in this language works under (issue #19).
//
// This is NOT the model. It is cref.c's walk() transcribed: the same 4-level tables in one flat
// memory (each 64-bit entry as two 32-bit words, low half first, as PhysMemory's pool stores them),
// built by cref.c's map4k() for the same dense mappings, the same random picks as the aligned
// bench's walks (its 32-bit xorshift's top 31 bits, modulo the mappings), a present check (R|W) per level and the leaf's address — no context, no
// address-width or reserved-bit checks, no permissions, no IOTLB, no counters. Two loops:
//  - sequential: one walk after the other, as cref.c's loop;
//  - interleaved: BARE_BATCH walks level by level (all their level-4 loads, then all level-3 ...),
//    so that their cache misses overlap without relying on the CPU's out-of-order window.
// Neither is a translation the model could give; they bound from above what one could cost.

import { CoreError } from '../errors';

/** Walks the interleaved loop does level by level at once. */
export const BARE_BATCH = 16;

export interface BareWalkResult {
  /** cref.c's walk(), one after the other. */
  bareWalksPerSec: number;
  /** The same walks BARE_BATCH at a time, level by level. */
  bareInterleavedWalksPerSec: number;
}

const ENTRIES = 512;
/** Entry word index of entry `idx` of table page `t` (low half; the high half follows). */
const entryWord = (t: number, idx: number): number => (t * ENTRIES + idx) * 2;

/** cref.c's tables: one flat memory, page 0 unused, the root at page 1. */
export class BareTables {
  readonly words: Uint32Array;
  readonly root = 1;
  private next = 2;

  constructor(readonly maxPages: number) {
    this.words = new Uint32Array(maxPages * ENTRIES * 2);
  }

  /** cref.c's map4k(): a 4 KiB mapping of iova (< 2^48) to hpa (< 2^52), allocating tables on the way. */
  map4k(iova: number, hpa: number): void {
    const w = this.words;
    let t = this.root;
    for (let l = 4; l > 1; l--) {
      const e = entryWord(t, Math.floor(iova / 2 ** (12 + 9 * (l - 1))) % ENTRIES);
      if ((w[e]! & 3) === 0) {
        if (this.next >= this.maxPages)
          throw new CoreError('LIMIT_EXCEEDED', `bare walk: table memory of ${this.maxPages} pages exhausted`);
        const p = this.next++;
        w[e] = ((p << 12) | 3) >>> 0;
        w[e + 1] = p >>> 20;
      }
      t = (w[e]! >>> 12) | (w[e + 1]! << 20);
    }
    const e = entryWord(t, Math.floor(iova / 4096) % ENTRIES);
    w[e] = ((hpa % 2 ** 32) | 3) >>> 0;
    w[e + 1] = Math.floor(hpa / 2 ** 32);
  }
}

/** The table page a present non-leaf entry points to, or -1 (cref.c: `!(e & 3)`). */
const next = (w: Uint32Array, e: number): number => ((w[e]! & 3) === 0 ? -1 : (w[e]! >>> 12) | (w[e + 1]! << 20));

/** cref.c's walk(): the physical address of iova (32-bit halves vlo, vhi), or -1. */
export function bareWalk(w: Uint32Array, root: number, vlo: number, vhi: number): number {
  let t = next(w, entryWord(root, (vhi >>> 7) & 511)); // bits 47:39
  if (t < 0) return -1;
  t = next(w, entryWord(t, ((vhi << 2) | (vlo >>> 30)) & 511)); // 38:30
  if (t < 0) return -1;
  t = next(w, entryWord(t, (vlo >>> 21) & 511)); // 29:21
  if (t < 0) return -1;
  const e = entryWord(t, (vlo >>> 12) & 511); // 20:12
  const lo = w[e]!;
  if ((lo & 3) === 0) return -1;
  return (w[e + 1]! & 0xfffff) * 4294967296 + ((lo & 0xfffff000) >>> 0) + (vlo & 0xfff);
}

/**
 * bareWalk() of n addresses at once, level by level: `lo`/`hi` the addresses' halves, `t` scratch,
 * `pa` the results (-1 where not mapped).
 */
export function bareWalkBatch(
  w: Uint32Array,
  root: number,
  n: number,
  lo: Uint32Array,
  hi: Uint32Array,
  t: Int32Array,
  pa: Float64Array,
): void {
  for (let j = 0; j < n; j++) t[j] = next(w, entryWord(root, (hi[j]! >>> 7) & 511));
  for (let j = 0; j < n; j++) if (t[j]! >= 0) t[j] = next(w, entryWord(t[j]!, ((hi[j]! << 2) | (lo[j]! >>> 30)) & 511));
  for (let j = 0; j < n; j++) if (t[j]! >= 0) t[j] = next(w, entryWord(t[j]!, (lo[j]! >>> 21) & 511));
  for (let j = 0; j < n; j++) {
    const tj = t[j]!;
    const e = tj < 0 ? -1 : entryWord(tj, (lo[j]! >>> 12) & 511);
    pa[j] =
      e < 0 || (w[e]! & 3) === 0
        ? -1
        : (w[e + 1]! & 0xfffff) * 4294967296 + ((w[e]! & 0xfffff000) >>> 0) + (lo[j]! & 0xfff);
  }
}

/** cref.c's main() tables: `mappings` dense 4 KiB pages top-down below 4 GiB, page i at hpa i * 4 KiB. */
export function bareTables(mappings: number): { tables: BareTables; lo: Uint32Array; hi: Uint32Array } {
  const tables = new BareTables(Math.ceil(mappings / 256) + 4096);
  const lo = new Uint32Array(mappings);
  const hi = new Uint32Array(mappings);
  for (let i = 0; i < mappings; i++) {
    const v = 0xfffff000 - i * 4096;
    lo[i] = v >>> 0;
    hi[i] = Math.floor(v / 2 ** 32);
    tables.map4k(v, i * 4096);
  }
  return { tables, lo, hi };
}

/** The aligned bench's random picks (cref.c's xorshift, in 32 bits): the next state. */
export const xs32 = (x: number): number => {
  let y = x ^ (x << 13);
  y ^= y >>> 17;
  return y ^ (y << 5);
};

function perSec(minSeconds: number, batch: (x: number) => number): number {
  const t0 = process.hrtime.bigint();
  let x = 2463534242;
  let n = 0;
  let elapsed = 0;
  do {
    x = batch(x);
    n += 100_000;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (elapsed < minSeconds);
  return n / elapsed;
}

function unmapped(): never {
  throw new CoreError('INVALID_STATE', 'bare walk: a mapped address walked to nothing');
}

/** Both bare loops on cref.c's work, each after a warm-up of half its length. */
export function runBareWalks(mappings: number, minSeconds: number): BareWalkResult {
  const { tables, lo, hi } = bareTables(mappings);
  const w = tables.words;
  const root = tables.root;
  const seq = (x0: number): number => {
    let x = x0;
    for (let k = 0; k < 100_000; k++) {
      x = xs32(x);
      const i = (x >>> 1) % mappings;
      if (bareWalk(w, root, lo[i]!, hi[i]!) < 0) unmapped();
    }
    return x;
  };
  const bl = new Uint32Array(BARE_BATCH);
  const bh = new Uint32Array(BARE_BATCH);
  const bt = new Int32Array(BARE_BATCH);
  const pa = new Float64Array(BARE_BATCH);
  const inter = (x0: number): number => {
    let x = x0;
    for (let k = 0; k < 100_000; k += BARE_BATCH) {
      for (let j = 0; j < BARE_BATCH; j++) {
        x = xs32(x);
        const i = (x >>> 1) % mappings;
        bl[j] = lo[i]!;
        bh[j] = hi[i]!;
      }
      bareWalkBatch(w, root, BARE_BATCH, bl, bh, bt, pa);
      for (let j = 0; j < BARE_BATCH; j++) if (pa[j]! < 0) unmapped();
    }
    return x;
  };
  perSec(minSeconds / 2, seq);
  const bareWalksPerSec = perSec(minSeconds, seq);
  perSec(minSeconds / 2, inter);
  const bareInterleavedWalksPerSec = perSec(minSeconds, inter);
  return { bareWalksPerSec, bareInterleavedWalksPerSec };
}

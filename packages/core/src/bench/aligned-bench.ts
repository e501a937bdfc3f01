// SPDX-License-Identifier: Apache-2.0
// `iofleet bench core --vs-c`, the project's side: the VT-d unit on exactly the work of the C
// reference (apps/cli/bench-c/cref.c): `mappings` dense 4 KiB mappings top-down below 4 GiB (as
// Linux allocates IOVAs), random full 4-level walks over all of them through a 1-entry IOTLB with
// no paging-structure caches, then IOTLB hits on a 2,048-page hot set in a 4,096-entry 8-way IOTLB.
// cref.c's IOTLB replaces round-robin per set (no bookkeeping on a hit): the hit figure is taken with
// FIFO replacement, which evicts the same entries; the same work with LRU (a stamp per hit) is
// reported beside it.
// Every translation goes through the real VtdUnit.translate() (context cache, width check, IOTLB,
// walk with the VT-d reserved-bit and permission checks, counters).

import type { ReplacementPolicy } from '../caches/cache-types';
import { CoreError } from '../errors';
import { newTranslationOut } from '../iommu/translation';
import { PhysMemory } from '../memory/phys-memory';
import { PERM_RW } from '../page-table/format';
import { VtdUnit } from '../vtd/unit';
import { type BareWalkResult, runBareWalks, xs32 } from './bare-walk';

export interface AlignedBenchResult {
  pageWalkTranslationsPerSec: number;
  /** IOTLB hits with FIFO replacement: cref.c's round-robin (no bookkeeping on a hit). */
  iotlbHitTranslationsPerSec: number;
  /** The same hits with LRU replacement (a recency stamp per hit); the C reference has no such figure. */
  iotlbHitLruTranslationsPerSec?: number;
  mappings: number;
  /** IOTLB misses in the hit phase (the hot set's first touches; C reports the same). */
  iotlbMisses: number;
  /** With `bounds`: cref.c's walk transcribed to JavaScript, no IOMMU semantics (bare-walk.ts). */
  bounds?: BareWalkResult;
}

/** Mappings of the C reference's default run (1 Mi 4 KiB pages = 4 GiB of IOVA). */
export const ALIGNED_DEFAULT_MAPPINGS = 1 << 20;
const HOT_SET = 2048;
const SID = 0x0100;

function unit(
  mappings: number,
  entries: number,
  ways: number,
  replacement: ReplacementPolicy,
): { u: VtdUnit; iovas: Float64Array } {
  const mem = new PhysMemory({ maxTablePages: Math.ceil(mappings / 256) + 8192 });
  const u = new VtdUnit({
    mem,
    params: {
      addressWidth: 48,
      superpages: { '2M': false, '1G': false },
      iotlb: { entries, ways, replacement },
      pscEntriesPerLevel: 0,
    },
  });
  const d = u.createDomain();
  u.attachDevice(SID, d);
  const iovas = new Float64Array(mappings);
  for (let i = 0; i < mappings; i++) {
    const v = 0xfffff000 - i * 4096;
    iovas[i] = v;
    d.map(v, i * 4096 + 0x1_0000_0000, 4096, PERM_RW);
  }
  return { u, iovas };
}

const BATCH = 100_000;

const newRequest = () => ({ sourceId: SID, segment: 0, address: 0, write: false, pasid: -1 });

/** The clock of one measured loop: started when made, read once per BATCH translations. */
class BatchClock {
  private readonly t0 = process.hrtime.bigint();
  private ops = 0;
  private elapsed = 0;
  constructor(private readonly minSeconds: number) {}

  /** One more batch done; true once >= minSeconds have passed. */
  batchDone(): boolean {
    this.ops += BATCH;
    this.elapsed = Number(process.hrtime.bigint() - this.t0) / 1e9;
    return this.elapsed >= this.minSeconds;
  }

  get perSec(): number {
    return this.ops / this.elapsed;
  }
}

/**
 * Translations per second of `u` over >= `minSeconds`, picking addresses with a 32-bit xorshift:
 * `(r >>> 1) % n` over all mappings (walks) — its top 31 bits, as uniform as cref.c's 64-bit
 * `xs() % nmap`. `(r >>> 0) % n` made V8 compute a floating-point remainder (a call) whenever r
 * was above 2^31: ~13 ns of each walk translation on cache-resident tables, a cost of this loop and
 * not of the model (measured: 12.4–12.6 against 14.5–15.5 M walks/s, 4 alternated runs). Two loops, one per phase, as cref.c's main() has: one loop
 * shared by both phases (or one timing loop calling a closure per batch) carried the walk phase's
 * type feedback into the hit phase's code, or slowed it by ~10 %.
 *
 * Each is one loop that reads the clock every BATCH translations, not cref.c's batch loop inside a
 * timing loop: the same translations and the same clock readings. V8 compiles the running loop
 * on-stack (OSR), and OSR into an inner loop peels the outer one: the loop body, and with it the
 * inlined translate() chain, is compiled twice, which V8's inlining budget (920 bytes of bytecode
 * per compiled function) cannot hold — the hot copy then called translate() out of line (~58
 * instead of ~67 M hits/s, issue #19).
 */
function runWalks(u: VtdUnit, iovas: Float64Array, minSeconds: number): number {
  const out = newTranslationOut();
  const req = newRequest();
  const n = iovas.length;
  let x = 2463534242;
  const clock = new BatchClock(minSeconds);
  for (let k = 1; ; k++) {
    x = xs32(x);
    req.address = iovas[(x >>> 1) % n]!;
    u.translate(req, out);
    if (!out.ok) faulted(req.address);
    if (k === BATCH) {
      k = 0;
      if (clock.batchDone()) return clock.perSec;
    }
  }
}

/** runWalks() on the hot set: `r & hotMask` picks one of its first hotMask + 1 mappings. */
function runHits(u: VtdUnit, iovas: Float64Array, hotMask: number, minSeconds: number): number {
  const out = newTranslationOut();
  const req = newRequest();
  let x = 2463534242;
  const clock = new BatchClock(minSeconds);
  for (let k = 1; ; k++) {
    x = xs32(x);
    req.address = iovas[(x >>> 0) & hotMask]!;
    u.translate(req, out);
    if (!out.ok) faulted(req.address);
    if (k === BATCH) {
      k = 0;
      if (clock.batchDone()) return clock.perSec;
    }
  }
}

function faulted(address: number): never {
  throw new CoreError('INVALID_STATE', `aligned bench: translation of 0x${address.toString(16)} faulted`);
}

/**
 * The project's VT-d unit on the C reference's work; each figure after a warm-up of half its length.
 * `bounds`: also the bare JavaScript walks of bare-walk.ts on the same work, after the unit's figures.
 */
export function runAlignedBench(
  mappings = ALIGNED_DEFAULT_MAPPINGS,
  minSeconds = 1,
  bounds = false,
): AlignedBenchResult {
  if (!Number.isSafeInteger(mappings) || mappings < HOT_SET || mappings > 1 << 24) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `aligned bench: mappings must be an integer in [${HOT_SET}, 2^24], got ${mappings}`,
      {
        mappings,
      },
    );
  }
  const w = unit(mappings, 1, 1, 'lru');
  runWalks(w.u, w.iovas, minSeconds / 2);
  const walks = runWalks(w.u, w.iovas, minSeconds);
  const hot = (replacement: ReplacementPolicy) => {
    const h = unit(mappings, 4096, 8, replacement);
    const misses0 = h.u.iotlb.misses;
    runHits(h.u, h.iovas, HOT_SET - 1, minSeconds / 2);
    const misses = h.u.iotlb.misses - misses0;
    return { perSec: runHits(h.u, h.iovas, HOT_SET - 1, minSeconds), misses };
  };
  const fifo = hot('fifo');
  const lru = hot('lru');
  return {
    pageWalkTranslationsPerSec: walks,
    iotlbHitTranslationsPerSec: fifo.perSec,
    iotlbHitLruTranslationsPerSec: lru.perSec,
    mappings,
    iotlbMisses: fifo.misses,
    ...(bounds ? { bounds: runBareWalks(mappings, minSeconds) } : {}),
  };
}

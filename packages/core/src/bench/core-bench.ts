// SPDX-License-Identifier: Apache-2.0
// `iofleet bench core`: wall-clock speed of the hardware model's translation paths (not the
// simulated latencies): IOTLB hits, and full 4-level walks with the IOTLB always missing. Each
// figure is measured over at least `minSeconds` of wall time on the real unit's translate().

import { newTranslationOut } from '../iommu/translation';
import { PhysMemory } from '../memory/phys-memory';
import { PERM_RW } from '../page-table/format';
import { VtdUnit } from '../vtd/unit';

export interface CoreBenchResult {
  iotlbHitTranslationsPerSec: number;
  pageWalkTranslationsPerSec: number;
  /** Heap growth per IOTLB-hit translation across the measured loop (bytes; ~0 = no allocation). */
  iotlbHitHeapBytesPerTranslation: number;
  minSeconds: number;
  unit: 'vtd';
  levels: number;
}

function timed(minSeconds: number, batch: number, body: (n: number) => void): number {
  let ops = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  do {
    body(batch);
    ops += batch;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (elapsed < minSeconds);
  return ops / elapsed;
}

export function runCoreBench(minSeconds = 1): CoreBenchResult {
  // 256 pages, each under its own level-1 table: every walk reads four levels, and the simulator's
  // table memory (~1 MiB) stays in the host's caches, so the figure is the model's cost per walk.
  const pages = 256;
  const make = (iotlbEntries: number, ways: number) => {
    const unit = new VtdUnit({
      mem: new PhysMemory(),
      params: {
        addressWidth: 48,
        superpages: { '2M': false, '1G': false },
        iotlb: { entries: iotlbEntries, ways, replacement: 'lru' },
      },
    });
    const d = unit.createDomain();
    unit.attachDevice(0x0100, d);
    for (let i = 0; i < pages; i++) d.map(i * 4096 * 513, 0x1_0000_0000 + i * 4096, 4096, PERM_RW);
    return unit;
  };
  const out = newTranslationOut();
  const req = { sourceId: 0x0100, segment: 0, address: 0, write: false, pasid: -1 };

  // IOTLB hits: a working set of 64 pages in a 512-entry IOTLB.
  const hitUnit = make(512, 8);
  const hitLoop = (n: number) => {
    for (let i = 0; i < n; i++) {
      req.address = (i & 63) * 4096 * 513 + 8;
      hitUnit.translate(req, out);
    }
  };
  hitLoop(10_000);
  const heap0 = process.memoryUsage().heapUsed;
  const iotlbHitTranslationsPerSec = timed(minSeconds, 100_000, hitLoop);
  const growth = Math.max(0, process.memoryUsage().heapUsed - heap0);
  const iotlbHitHeapBytesPerTranslation = growth / (iotlbHitTranslationsPerSec * minSeconds);

  // Walks: a 1-entry IOTLB and a stride that never repeats the previous page: every request walks
  // all four levels (each page sits under its own level-1 table, so nothing is shared).
  const walkUnit = make(1, 1);
  const walkLoop = (n: number) => {
    for (let i = 0; i < n; i++) {
      req.address = (i % pages) * 4096 * 513 + 8;
      walkUnit.translate(req, out);
    }
  };
  walkLoop(10_000);
  const pageWalkTranslationsPerSec = timed(minSeconds, 50_000, walkLoop);
  return {
    iotlbHitTranslationsPerSec,
    pageWalkTranslationsPerSec,
    iotlbHitHeapBytesPerTranslation,
    minSeconds,
    unit: 'vtd',
    levels: 4,
  };
}

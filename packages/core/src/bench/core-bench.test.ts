// SPDX-License-Identifier: Apache-2.0
// Checks the benchmark measures real work (not its speed: speed is for `iofleet bench core`).
import { describe, expect, it } from 'vitest';
import { runCoreBench } from './core-bench';

describe('core bench', () => {
  it('reports both figures from real translations, with no per-translation allocation', () => {
    const r = runCoreBench(0.05);
    expect(r.iotlbHitTranslationsPerSec).toBeGreaterThan(0);
    expect(r.pageWalkTranslationsPerSec).toBeGreaterThan(0);
    // No comparison of the figures with each other: they are wall-clock speeds, which a loaded
    // machine reorders (that is what `iofleet bench core` is for).
    expect(r.smmuPageWalkTranslationsPerSec).toBeGreaterThan(0);
    // Each unit's figure in the message, so a failure says which path allocated.
    const each = JSON.stringify(r.heapBytesPerTranslation);
    expect(r.iotlbHitHeapBytesPerTranslation, each).toBeLessThan(8);
    // Walks too, at addresses of 2 GiB and more (doubles, as Linux's IOVAs below 4 GiB are): no
    // address boxed on the way through walk32(), the formats, the caches' fills (issue #19).
    expect(r.pageWalkHeapBytesPerTranslation, each).toBeLessThan(8);
    expect(Math.max(...Object.values(r.heapBytesPerTranslation))).toBe(
      Math.max(r.iotlbHitHeapBytesPerTranslation, r.pageWalkHeapBytesPerTranslation),
    );
  });
});

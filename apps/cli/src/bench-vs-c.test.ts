// SPDX-License-Identifier: Apache-2.0
// bench core --vs-c compiles the project's copy of the C reference and runs both on the same work
// (figures are wall-clock speeds: checked for being real, never compared).
import { describe, expect, it } from 'vitest';
import { iofleet } from './testing/run-iofleet';

describe('bench core --vs-c', () => {
  it('runs the C reference and the VT-d unit on the same mappings and prints both with ratios', async () => {
    const args = ['bench', 'core', '--vs-c', '--mappings', '4096', '--seconds', '0.05', '--bounds', '--json'];
    const { stdout } = await iofleet(args, { timeout: 120_000 });
    const r = JSON.parse(stdout);
    expect(r.mappings).toBe(4096);
    expect(r.rounds).toHaveLength(1);
    const [round] = r.rounds;
    expect(round.c.mappings).toBe(4096); // the C program took the same work
    expect(round.ts.mappings).toBe(4096);
    // The hot set's 2,048 pages each miss once on first touch, in C and in the unit alike.
    expect(round.c.iotlbMisses).toBe(2048);
    expect(round.ts.iotlbMisses).toBe(2048);
    for (const side of [round.c, round.ts]) {
      expect(side.pageWalkTranslationsPerSec).toBeGreaterThan(0);
      expect(side.iotlbHitTranslationsPerSec).toBeGreaterThan(0);
    }
    expect(round.ts.iotlbHitLruTranslationsPerSec).toBeGreaterThan(0); // the same hits with LRU stamps
    expect(r.iotlbHitLruRatio).toBeCloseTo(
      round.ts.iotlbHitLruTranslationsPerSec / round.c.iotlbHitTranslationsPerSec,
      9,
    );
    expect(r.walkRatio).toBeCloseTo(round.ts.pageWalkTranslationsPerSec / round.c.pageWalkTranslationsPerSec, 9);
    // --bounds: the bare JavaScript walks ran on the same work, as ratios to C's walks.
    expect(round.ts.bounds.bareWalksPerSec).toBeGreaterThan(0);
    expect(round.ts.bounds.bareInterleavedWalksPerSec).toBeGreaterThan(0);
    expect(r.bareWalkRatio).toBeCloseTo(round.ts.bounds.bareWalksPerSec / round.c.pageWalkTranslationsPerSec, 9);
    expect(r.bareInterleavedWalkRatio).toBeCloseTo(
      round.ts.bounds.bareInterleavedWalksPerSec / round.c.pageWalkTranslationsPerSec,
      9,
    );
  });

  it('says --bounds goes with --vs-c (exit 2)', async () => {
    const err = await iofleet(['bench', 'core', '--bounds'], { timeout: 60_000 }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/--bounds goes with --vs-c/);
  });

  it('says it needs a C compiler when there is none (exit 1, one error line)', async () => {
    const err = await iofleet(['bench', 'core', '--vs-c', '--mappings', '4096'], {
      timeout: 60_000,
      env: { ...process.env, CC: 'no-such-cc-iofleet' },
    }).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/^error: bench core --vs-c needs a C compiler: 'no-such-cc-iofleet' was not found/);
  });
});

describe('bench core', () => {
  it('prints hit and walk speeds of the three units and the heap each translation allocates', async () => {
    const { stdout } = await iofleet(['bench', 'core', '--seconds', '0.05'], { timeout: 120_000 });
    for (const unit of ['VT-d', 'AMD-Vi', 'SMMUv3'])
      expect(stdout).toMatch(new RegExp(`${unit} +IOTLB hit [\\d.]+ M {3}page walk [\\d.]+ M`));
    // No allocation on either path (issue #19): the figures the core bench's own test holds too.
    const heap = stdout.match(
      /heap allocated per translation \(most of the three\): hit ([\d.]+) B {3}page walk ([\d.]+) B/,
    );
    expect(heap).not.toBeNull();
    expect(Number(heap![1])).toBeLessThan(8);
    expect(Number(heap![2])).toBeLessThan(8);
  });
});

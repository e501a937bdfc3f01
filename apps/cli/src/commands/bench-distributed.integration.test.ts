// SPDX-License-Identifier: Apache-2.0
// Integration: `iofleet bench distributed` on a small Poisson scenario (a real redis-server, agents,
// a scheduler and two workers): both sides give the same placements and figures, and the round
// reports wall and CPU seconds of each (the distributed CPU counts every process it started).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { iofleet } from '../testing/run-iofleet';

const SCENARIO = join(__dirname, '..', '..', 'test', 'fixtures', 'small-scenario.yaml');

describe('iofleet bench distributed', () => {
  it('runs --full embedded and distributed with workers: the same results, wall and CPU seconds of each, at the --duration asked', async () => {
    const { stdout } = await iofleet(
      ['bench', 'distributed', SCENARIO, '--vms', '30', '--duration', '3', '--repeat', '1', '--workers', '2', '--json'],
      { timeout: 600_000 },
    );
    const r = JSON.parse(stdout);
    expect(r).toMatchObject({ vms: 30, durationMs: 3, variants: 4, workers: 2, identical: true });
    const [round] = r.rounds;
    expect(round).toMatchObject({ sameDigests: true, sameFigures: true });
    expect(round.speedup).toBeCloseTo(round.embeddedSeconds / round.distributedSeconds, 6);
    expect(round.embeddedCpuSeconds).toBeGreaterThan(0);
    // The distributed side started Redis, agents, schedulers and workers: they used CPU too, counted
    // once they exited (more than this process's share of the embedded run's work at least).
    expect(round.distributedCpuSeconds).toBeGreaterThan(round.embeddedCpuSeconds * 0.5);
  }, 660_000);
});

// SPDX-License-Identifier: Apache-2.0
// `iofleet bench fleet` on a small fleet: the figures exist (how fast is the benchmark's business).
import { describe, expect, it } from 'vitest';
import { iofleet } from '../testing/run-iofleet';

describe('iofleet bench fleet', () => {
  it('runs a three-variant what-if and prints wallSeconds', async () => {
    const { stdout } = await iofleet(['bench', 'fleet', '--hosts', '50', '--vms', '200', '--json'], {
      timeout: 120_000,
    });
    const r = JSON.parse(stdout);
    expect(r).toMatchObject({ hosts: 50, vms: 200, variants: 3 });
    expect(r.placed + r.rejected).toBe(600);
    expect(r.wallSeconds).toBeGreaterThan(0);
    expect(r.peakRssMiB).toBeGreaterThan(0);
  });

  it("--full runs every placed VM's device I/O and reports VM-I/O runs per second", async () => {
    const args = ['bench', 'fleet', '--hosts', '20', '--vms', '60', '--full', '--json'];
    const { stdout } = await iofleet(args, { timeout: 180_000 });
    const r = JSON.parse(stdout);
    expect(r.full).toBe(true);
    // gpu VMs run two I/O specs, disk VMs one: at least one run per placed VM.
    expect(r.ioRuns).toBeGreaterThanOrEqual(r.placed);
    expect(r.ioRunsExecuted).toBeGreaterThan(0);
    expect(r.ioRunsExecuted).toBeLessThanOrEqual(r.ioRuns);
    expect(r.vmIoRunsPerSec).toBeCloseTo(r.ioRuns / r.wallSeconds, 6);
  });
});

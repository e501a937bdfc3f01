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

  it('refuses a fleet beyond what a scenario may hold, naming the flag and the bound (exit 2)', async () => {
    for (const [flag, value, bound] of [
      ['--hosts', '1e9', '1,000,000'],
      ['--vms', '10000001', '10,000,000'],
    ] as const) {
      const err = await iofleet(['bench', 'fleet', flag, value], { timeout: 60_000 }).catch((e) => e);
      expect(err.code).toBe(2);
      expect(err.stderr).toBe(`error: ${flag} must be an integer from 1 to ${bound}, got '${value}'\n`);
    }
    const err = await iofleet(['bench', 'placement', '--pure-only', '--hosts', '1000001'], { timeout: 60_000 }).catch(
      (e) => e,
    );
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/^error: --hosts must be an integer from 1 to 1,000,000, got '1000001'/);
  });
});

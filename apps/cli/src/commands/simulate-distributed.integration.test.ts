// SPDX-License-Identifier: Apache-2.0
// Integration: `iofleet simulate --distributed` (a real redis-server, host-agent and scheduler
// processes, gRPC and BullMQ) agrees with the embedded run of the same scenario and seed: the
// same placements (VM -> host and devices) and the same per-variant figures.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'iofleet.cjs');
const SCENARIO = join(__dirname, '..', '..', 'test', 'fixtures', 'small-scenario.yaml');

interface Report {
  notes: string[];
  variants: { name: string; placement: Record<string, unknown>; io: Record<string, number | string>[] }[];
}

describe('iofleet simulate --distributed', () => {
  it('gives the same placements and figures as the embedded run', async () => {
    const emb: Report = JSON.parse(
      (await run(process.execPath, [BIN, 'simulate', SCENARIO, '--json'], { timeout: 120_000 })).stdout,
    );
    const dist: Report = JSON.parse(
      (
        await run(process.execPath, [BIN, 'simulate', SCENARIO, '--json', '--distributed', '--agents', '2'], {
          timeout: 400_000,
        })
      ).stdout,
    );
    expect(dist.notes.join(' ')).toMatch(/distributed/);
    expect(dist.variants.map((v) => v.name)).toEqual(emb.variants.map((v) => v.name));
    for (const [i, v] of dist.variants.entries()) {
      const e = emb.variants[i]!;
      expect(v.placement, v.name).toEqual(e.placement); // includes the digest of every VM's host and devices
      expect(v.io.length).toBe(e.io.length);
      for (const [j, c] of v.io.entries())
        for (const [k, x] of Object.entries(c)) {
          const y = e.io[j]![k]!;
          if (typeof x === 'number')
            expect(Math.abs(x - (y as number)), `${v.name} ${c.deviceClass} ${k}`).toBeLessThanOrEqual(
              1e-9 * Math.abs(y as number),
            );
          else expect(x).toBe(y);
        }
    }
  }, 500_000);
});

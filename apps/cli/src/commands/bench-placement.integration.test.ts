// SPDX-License-Identifier: Apache-2.0
// Integration: `iofleet bench placement` end to end — a real redis-server, agent and scheduler
// processes, gRPC — on a small fleet. Checks the figures exist and no device went to two VMs;
// speed is the benchmark's business, not the test's.
import { describe, expect, it } from 'vitest';
import { iofleet } from '../testing/run-iofleet';

describe('iofleet bench placement', () => {
  it('places through gRPC, BullMQ, Redis and agents with no double assignment', async () => {
    const { stdout } = await iofleet(
      ['bench', 'placement', '--hosts', '20', '--vms', '150', '--schedulers', '2', '--json'],
      { timeout: 240_000 },
    );
    const r = JSON.parse(stdout);
    expect(r.purePlacementsPerSec).toBeGreaterThan(0);
    expect(r.endToEndPlacementsPerSec).toBeGreaterThan(0);
    expect(r.p99PlacementLatencyMs).toBeGreaterThan(0);
    // 20 GPU nodes: 80 GPUs, 40 NVMe drives, 20 NICs; the mix asks 75 GPUs, 45 drives, 30 NICs.
    expect(r.running).toBe(75 + 40 + 20);
    expect(r.failed).toBe(15);
    expect(r.doubleAssignedDevices).toBe(0);
  }, 300_000);
});

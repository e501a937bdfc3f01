// SPDX-License-Identifier: Apache-2.0
// Integration: `iofleet bench agent` starts a real agent process and talks gRPC to it over
// loopback. Checks the figures exist and the agent is gone afterwards — not how fast they are
// (speed is for the benchmark itself, not for tests).
import { describe, expect, it } from 'vitest';
import { iofleet } from '../testing/run-iofleet';

describe('iofleet bench agent', () => {
  it('prints attachDetachPerSec and workloadCallsPerSec as one JSON object', async () => {
    const { stdout } = await iofleet(['bench', 'agent', '--seconds', '0.3', '--concurrency', '2', '--json'], {
      timeout: 120_000,
    });
    const r = JSON.parse(stdout);
    expect(Object.keys(r)).toEqual(
      expect.arrayContaining([
        'attachDetachPerSec',
        'attachDetachSequentialPerSec',
        'workloadCallsPerSec',
        'concurrency',
      ]),
    );
    expect(r.concurrency).toBe(2);
    expect(r.attachDetachRoundTrips).toBeGreaterThan(0);
    expect(r.workloadCalls).toBeGreaterThan(0);
  });

  it('honours a --concurrency larger than one host has IOMMU groups, by serving copies of the host', async () => {
    const { stdout } = await iofleet(['bench', 'agent', '--seconds', '0.3', '--concurrency', '40', '--json'], {
      timeout: 180_000,
    });
    const r = JSON.parse(stdout);
    expect(r.concurrency).toBe(40);
    expect(r.hosts).toBeGreaterThan(1);
  });
});

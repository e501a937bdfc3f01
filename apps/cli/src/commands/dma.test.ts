// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { iofleet } from '../testing/run-iofleet';

interface Row {
  mode: string;
  mapLatencyNs: number;
  unmapLatencyNs: number;
  mapStddevNs: number;
  unmapStddevNs: number;
}

describe('iofleet dma bench', () => {
  it('prints JSON results whose map+unmap latency orders pt < lazy < strict', async () => {
    const { stdout } = await iofleet(
      ['dma', 'bench', '--threads', '2', '--max-iterations', '2000', '--modes', 'pt,lazy,strict', '--json'],
      { timeout: 60_000 },
    );
    const out = JSON.parse(stdout) as { results: Row[] };
    expect(out.results.map((r) => r.mode)).toEqual(['pt', 'lazy', 'strict']);
    for (const r of out.results) {
      for (const k of ['mapLatencyNs', 'unmapLatencyNs', 'mapStddevNs', 'unmapStddevNs'] as const) {
        expect(Number.isFinite(r[k]) && r[k] >= 0).toBe(true);
      }
    }
    const total = (i: number) => out.results[i]!.mapLatencyNs + out.results[i]!.unmapLatencyNs;
    expect(total(0)).toBeLessThan(total(1));
    expect(total(1)).toBeLessThan(total(2));
  });

  it('prints the kernel tool lines, and rejects a bad mode with an error: line', async () => {
    const { stdout } = await iofleet(['dma', 'bench', '--max-iterations', '500', '--modes', 'strict'], {
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^average map latency\(us\):\d+\.\d standard deviation:\d+\.\d$/m);
    expect(stdout).toMatch(/^average unmap latency\(us\):\d+\.\d standard deviation:\d+\.\d$/m);
    const err = await iofleet(['dma', 'bench', '--modes', 'warp'], { timeout: 60_000 }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/^error: --modes: unknown mode 'warp'/m);
  });
});

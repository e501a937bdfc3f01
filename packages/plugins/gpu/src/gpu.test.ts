// SPDX-License-Identifier: Apache-2.0
// The built-in plugin passes the SDK's conformance suite through its package name, as a third
// party's plugin would.
import { gpuPlugin } from '@iofleet/plugin-gpu';
import type { RawOptions } from '@iofleet/sdk';
import { runDevicePluginConformance, TestEnvironment, type TestMode } from '@iofleet/sdk-testing';
import { describe, expect, it } from 'vitest';

runDevicePluginConformance(gpuPlugin, {
  badOptions: [{ chunk: '3k' }, { xfer: '6k', chunk: '4k' }, { xfer: '64k', chunk: '128k' }, { dir: 'p2p' }],
});
runDevicePluginConformance(gpuPlugin, {
  options: { coherentMiB: 8, xfer: '256k', chunk: '64k', qd: 16, gbps: 64, dir: 'd2h', launchNs: 500 },
});

const MiB = 1024 * 1024;

const run = (mode: TestMode, options: RawOptions, ios = 20) => {
  const env = new TestEnvironment(gpuPlugin, { mode, options });
  env.probe();
  const r = env.run({ maxIos: ios });
  env.remove();
  return { env, r, sg: env.maps.filter((m) => m.kind === 'sg') };
};

describe('gpu', () => {
  it('maps each transfer with dma_map_sg: IOVA-merged segments under an IOMMU, one per chunk without', () => {
    // Under the IOMMU the list is one IOVA range, cut at the DMA layer's 64 KiB max segment size
    // (the SDK has no dma_set_max_seg_size()): 2 MiB of 4 KiB pages is 32 segments.
    const strict = run('strict', {});
    expect(strict.r.ios).toBe(20);
    expect(strict.sg).toHaveLength(20 * 32);
    expect(strict.sg.every((m) => m.length === 64 * 1024 && m.dir === 'to-device')).toBe(true);
    // In pass-through every 4 KiB page is its own segment, and the device moves each one.
    const pt = run('pt', { qd: 2 }, 10);
    expect(pt.sg).toHaveLength(10 * 512);
    expect(pt.sg.reduce((a, m) => a + m.length, 0)).toBe(10 * 2 * MiB);
    const data = pt.env.accesses.filter((a) => a.length === 4096 && !a.write);
    expect(data.length).toBeGreaterThanOrEqual(10 * 512);
    // 2 MiB chunks: one segment; a device-to-host copy is the GPU writing host memory.
    const big = run('lazy', { chunk: '2m', dir: 'd2h' });
    expect(big.sg).toHaveLength(20);
    expect(big.sg.every((m) => m.length === 2 * MiB && m.dir === 'from-device')).toBe(true);
    expect(big.env.accesses.filter((a) => a.length === 2 * MiB).every((a) => a.write)).toBe(true);
    expect([...big.env.live.values()]).toEqual([]);
  });

  it('allocates its coherent memory once at start and the GPU reads its kernel arguments there', () => {
    for (const coherentMiB of [64, 16]) {
      const { env, r } = run('strict', { coherentMiB });
      const coherent = env.maps.filter((m) => m.kind === 'coherent');
      expect(coherent).toHaveLength(1);
      const c = coherent[0]!;
      expect(c.length).toBe(coherentMiB * MiB);
      const inside = env.accesses.filter((a) => a.dmaAddr >= c.dmaAddr && a.dmaAddr + a.length <= c.dmaAddr + c.length);
      expect(inside).toHaveLength(3 * r.ios); // command packet, kernel arguments, fence
      expect(env.runtime.pagesHeld).toBe(0);
    }
  });

  it('stays under line rate on its link', () => {
    const fast = run('lazy', { chunk: '2m' }, 200);
    expect(fast.r.gbps).toBeLessThanOrEqual(200 * 1.0001);
    expect(fast.r.gbps).toBeGreaterThan(150);
    const slow = run('lazy', { chunk: '2m', gbps: 32 }, 100);
    expect(slow.r.gbps).toBeLessThanOrEqual(32 * 1.0001);
  });
});

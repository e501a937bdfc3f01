// SPDX-License-Identifier: Apache-2.0

import { mulberry32 } from '@iofleet/prng';
import { describe, expect, it } from 'vitest';
import { type Hpa, hpa } from '../addresses';
import { PhysMemory } from '../memory/phys-memory';
import { DirectDmaOps } from './dma-direct';
import { DmaSim } from './dma-sim';
import { DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_TO_DEVICE, dmaDevice, physOfDmaAddr } from './dma-types';
import { IO_TLB_SEGSIZE, IO_TLB_SIZE, parseSwiotlbParam, SwiotlbPool } from './swiotlb';

describe('swiotlb= (setup_io_tlb_npages)', () => {
  it('parses slots (rounded to a segment), areas and force', () => {
    expect(parseSwiotlbParam('65536')).toEqual({ nslabs: 65536 });
    expect(parseSwiotlbParam('1000,4,force')).toEqual({ nslabs: 1024, nareas: 4, force: true });
    expect(parseSwiotlbParam('noforce')).toEqual({ noforce: true });
  });
});

describe('SwiotlbPool', () => {
  it('defaults to 64 MiB of 2 KiB slots', () => {
    const p = new SwiotlbPool(new PhysMemory());
    expect(p.nslabs * IO_TLB_SIZE).toBe(64 << 20);
  });

  it('copies on map, copies back on unmap only for FROM_DEVICE/BIDIRECTIONAL', () => {
    const mem = new PhysMemory();
    const p = new SwiotlbPool(mem, { nslabs: 256 });
    mem.write(0x5000_0000, new Uint8Array([5, 6, 7]));
    const t = p.mapSingle(0, hpa(0x5000_0000), 3);
    expect([...mem.read(t, 3)]).toEqual([5, 6, 7]);
    mem.write(t, new Uint8Array([1, 1, 1]));
    p.unmapSingle(t, 3, DMA_TO_DEVICE);
    expect([...mem.read(0x5000_0000, 3)]).toEqual([5, 6, 7]);
    const u = p.mapSingle(0, hpa(0x5000_0000), 3);
    mem.write(u, new Uint8Array([2, 2, 2]));
    p.syncForCpu(u, 3, DMA_FROM_DEVICE);
    expect([...mem.read(0x5000_0000, 3)]).toEqual([2, 2, 2]);
    p.unmapSingle(u, 3, DMA_FROM_DEVICE);
    expect(p.used).toBe(0);
  });

  it('never hands out overlapping or segment-crossing runs and returns to all-free (fixed seed)', () => {
    const p = new SwiotlbPool(new PhysMemory(), { nslabs: 1024, nareas: 2 });
    const rnd = mulberry32(7);
    const live: Array<[Hpa, number]> = [];
    for (let step = 0; step < 2000; step++) {
      if (live.length && rnd() < 0.5) {
        const [t, size] = live.splice(Math.floor(rnd() * live.length), 1)[0]!;
        p.unmapSingle(t, size, DMA_TO_DEVICE);
        continue;
      }
      const size = 1 + Math.floor(rnd() * 40_000);
      const t = p.mapSingle(step & 3, hpa(0x6000_0000), size);
      if (t === (DMA_MAPPING_ERROR as number)) continue;
      const first = (t - p.basePa) / IO_TLB_SIZE;
      const last = first + Math.ceil(size / IO_TLB_SIZE) - 1;
      expect(Math.floor(first / IO_TLB_SEGSIZE)).toBe(Math.floor(last / IO_TLB_SEGSIZE));
      for (const [o, os] of live) {
        const of = (o - p.basePa) / IO_TLB_SIZE;
        const ol = of + Math.ceil(os / IO_TLB_SIZE) - 1;
        expect(last < of || first > ol).toBe(true);
      }
      live.push([t, size]);
    }
    for (const [t, size] of live) p.unmapSingle(t, size, DMA_TO_DEVICE);
    expect(p.used).toBe(0);
    for (let i = 0; i < p.nslabs; i++) expect(p.list[i]).toBe(IO_TLB_SEGSIZE - (i % IO_TLB_SEGSIZE));
  });

  it('reports exhaustion as the kernel does', () => {
    const lines: string[] = [];
    const p = new SwiotlbPool(new PhysMemory(), { nslabs: 128, log: (l) => lines.push(l) });
    expect(p.mapSingle(0, hpa(0), 128 * IO_TLB_SIZE)).not.toBe(DMA_MAPPING_ERROR);
    expect(p.mapSingle(0, hpa(0), 100)).toBe(DMA_MAPPING_ERROR);
    expect(lines).toEqual(['swiotlb buffer is full (sz: 100 bytes), total 128 (slots), used 128 (slots)']);
  });
});

describe('dma-direct', () => {
  it('uses the physical address when the mask reaches it, bounces when it does not, and with swiotlb=force', () => {
    const sim = new DmaSim();
    const pool = new SwiotlbPool(sim.mem, { nslabs: 256 });
    const dev32 = new DirectDmaOps(sim, dmaDevice({ name: 'd32', dmaBits: 32 }), pool);
    expect(dev32.mapPage(hpa(0x4000_0000), 4096, DMA_TO_DEVICE)).toBe(0x4000_0000);
    const high = 0x2_0000_0000;
    const b = dev32.mapPage(hpa(high), 4096, DMA_TO_DEVICE);
    expect(pool.isSwiotlbBuffer(physOfDmaAddr(b))).toBe(true);
    dev32.unmapPage(b, 4096, DMA_TO_DEVICE);
    const forced = new DirectDmaOps(sim, dmaDevice({ name: 'f', dmaBits: 64 }), pool, true);
    expect(pool.isSwiotlbBuffer(physOfDmaAddr(forced.mapPage(hpa(0x4000_0000), 512, DMA_TO_DEVICE)))).toBe(true);
    const noPool = new DirectDmaOps(sim, dmaDevice({ name: 'n', dmaBits: 32 }));
    expect(noPool.mapPage(hpa(high), 4096, DMA_TO_DEVICE)).toBe(DMA_MAPPING_ERROR);
    expect(sim.log.at(-1)).toMatch(/^n: DMA addr 0x200000000\+4096 overflow/);
  });
});

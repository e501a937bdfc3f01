// SPDX-License-Identifier: Apache-2.0
// The context's parts on a real DmaSim and dma-direct ops: the mask reaches the DMA layer through
// DmaOps.setMask, a scatterlist unmaps only after it was mapped, memory the device was not given
// cannot be mapped, pages are accounted, config ids are read-only, and ctx.random repeats.
import { getCostProfile } from '@iofleet/core/cost';
import { newTranslationOut } from '@iofleet/core/hardware';
import { DirectDmaOps, DmaSim, dmaDevice } from '@iofleet/core/linux';
import { mulberry32 } from '@iofleet/prng';
import { isSdkError, type SgEntry } from '@iofleet/sdk';
import { describe, expect, it } from 'vitest';
import { DeviceRuntime } from './device-context';

function runtime() {
  const sim = new DmaSim({ cpuCount: 1, profile: getCostProfile('intel-icelake-sp') });
  const dev = dmaDevice({ name: 'test' });
  const out = newTranslationOut();
  const rt = new DeviceRuntime({
    sim,
    ops: new DirectDmaOps(sim, dev),
    info: {
      bdf: '0000:01:00.0',
      vendor: '8086',
      device: '0953',
      numaNode: 0,
      isVirtualFunction: false,
      translated: false,
    },
    access: (address) => {
      out.ok = true;
      out.pa = address;
      return out;
    },
  });
  return { rt, ctx: rt.ctx, dev };
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return isSdkError(e) ? e.code : String(e);
  }
  return 'no error';
};

describe('DeviceRuntime', () => {
  it('sets the DMA mask through the DMA layer, and refuses a mask Linux would not take', () => {
    const { ctx, dev } = runtime();
    ctx.dma.setMask(32);
    expect(dev.dmaBits).toBe(32);
    expect(code(() => ctx.dma.setMask(70))).toBe('PLUGIN_FAULT');
    expect(dev.dmaBits).toBe(32);
  });

  it('maps and unmaps a scatterlist, and faults an unmap of a list it never mapped', () => {
    const { ctx } = runtime();
    const pa = ctx.memory.allocPages(2);
    const sg: SgEntry[] = [
      { pa, length: 4096 },
      { pa: pa + 4096, length: 100 },
    ];
    expect(ctx.dma.mapSg(sg, 'to-device')).toBeGreaterThan(0);
    expect(sg[0]!.dmaAddress).toBe(pa); // dma-direct: DMA address = physical address
    expect(code(() => ctx.dma.unmapSg(sg, 'to-device'))).toBe('no error');
    expect(code(() => ctx.dma.unmapSg([{ pa, length: 4096 }], 'to-device'))).toBe('PLUGIN_FAULT');
  });

  it('maps only memory the device holds, and accounts its pages', () => {
    const { rt, ctx } = runtime();
    const pa = ctx.memory.allocPages(4, 4);
    expect(pa % (4 * 4096)).toBe(0);
    expect(rt.pagesHeld).toBe(4);
    expect(code(() => ctx.dma.mapSingle(pa + 3 * 4096, 8192, 'to-device'))).toBe('DMA_OUT_OF_BOUNDS');
    expect(code(() => ctx.memory.freePages(pa, 3))).toBe('PLUGIN_FAULT');
    const c = ctx.dma.allocCoherent(5000);
    expect(c && rt.pagesHeld).toBe(6);
    ctx.dma.freeCoherent(5000, c!.pa, c!.dmaAddr);
    ctx.memory.freePages(pa, 4);
    expect(rt.pagesHeld).toBe(0);
  });

  it('keeps vendor and device ids read-only in config space', () => {
    const { ctx } = runtime();
    ctx.config.write(0, 4, 0);
    expect(ctx.config.read(0, 4)).toBe(0x0953_8086);
    ctx.config.write(0x40, 2, 0xbeef);
    expect(ctx.config.read(0x40, 2)).toBe(0xbeef);
    expect(code(() => ctx.config.read(4095, 2))).toBe('PLUGIN_FAULT');
  });

  it('hands the plugin a seeded generator that repeats its sequence', () => {
    const { ctx } = runtime();
    const a = ctx.random(7);
    const b = ctx.random(7);
    const ref = mulberry32(7);
    for (let i = 0; i < 5; i++) expect([a(), b()]).toEqual(Array(2).fill(ref()));
  });
});

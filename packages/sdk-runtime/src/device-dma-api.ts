// SPDX-License-Identifier: Apache-2.0
// ctx.dma: the Linux DMA API as the plugin's driver calls it (include/linux/dma-mapping.h), on
// core's DmaOps — dma-direct or dma-iommu, whichever the host gave the device. A plugin may map
// only memory it holds (DMA_OUT_OF_BOUNDS otherwise); every map and unmap is shown to the observer
// and, when traced, wrapped in a dma.map / dma.unmap span.
//
// The SDK contract gives plugins plain numbers (it has no dependencies, and a plugin's addresses all
// come from this context); core's DmaOps takes branded ones. This file is where one becomes the
// other: a physical address becomes an Hpa once owned() has checked the plugin holds that memory,
// and a DMA address the plugin hands back becomes the dma_addr_t (Iova) core's DMA layer checks.

import type { Hpa, Iova } from '@iofleet/core';
import {
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  DMA_TO_DEVICE,
  type DmaOps,
  type ScatterEntry,
  scatterEntry,
} from '@iofleet/core/linux';
import { type DmaApi, SdkError, type SgEntry } from '@iofleet/sdk';
import { SPAN_DMA_MAP, SPAN_DMA_UNMAP } from '@iofleet/vocabulary';
import type { DeviceParts } from './device-parts';

const DIR = { bidirectional: DMA_BIDIRECTIONAL, 'to-device': DMA_TO_DEVICE, 'from-device': DMA_FROM_DEVICE } as const;
const PAGE = 4096;

export function dmaApi(p: DeviceParts, ops: DmaOps): DmaApi {
  const { info, obs, owned, trace: tr } = p;
  /** The core scatterlist each mapped plugin list was mapped as (struct scatterlist's dma fields). */
  const mappedSg = new WeakMap<SgEntry[], ScatterEntry[]>();
  /** The plugin's buffer as core's Hpa, after checking the device was given that memory. */
  const ownedPa = (pa: number, len: number, what: string): Hpa => {
    if (!owned.owns(pa, len))
      throw new SdkError(
        'DMA_OUT_OF_BOUNDS',
        `${info.bdf}: ${what} of [0x${pa.toString(16)}, +${len}) maps memory the device was not given`,
        { pa, length: len },
      );
    return pa as Hpa;
  };
  /** A DMA address the plugin got from this API, as core's dma_addr_t. */
  const dmaAddr = (a: number): Iova => a as Iova;
  return {
    setMask: (bits) => {
      if (!Number.isInteger(bits) || bits < 24 || bits > 64)
        throw new SdkError('PLUGIN_FAULT', `${info.bdf}: dma mask of ${bits} bits is not supported`);
      ops.setMask(bits);
    },
    mapSingle: (pa, len, dir) => {
      const buf = ownedPa(pa, len, 'dma_map_single');
      const a = tr
        ? tr.call(SPAN_DMA_MAP, len, dir, () => ops.mapPage(buf, len, DIR[dir]))
        : ops.mapPage(buf, len, DIR[dir]);
      if (a >= 0) obs.onMap?.('single', a, len, dir);
      return a;
    },
    unmapSingle: (a, len, dir) => {
      obs.onUnmap?.('single', a, len);
      if (tr) tr.call(SPAN_DMA_UNMAP, len, dir, () => ops.unmapPage(dmaAddr(a), len, DIR[dir]), a);
      else ops.unmapPage(dmaAddr(a), len, DIR[dir]);
    },
    mapSg: (sg, dir) => {
      const core = sg.map((e) => scatterEntry(ownedPa(e.pa, e.length, 'dma_map_sg'), e.length));
      const total = sg.reduce((a, e) => a + e.length, 0);
      const n = tr
        ? tr.call(
            SPAN_DMA_MAP,
            total,
            dir,
            () => ops.mapSg(core, DIR[dir]),
            () => core[0]?.dmaAddress ?? -1,
          )
        : ops.mapSg(core, DIR[dir]);
      for (const [i, e] of core.entries()) {
        sg[i]!.dmaAddress = e.dmaAddress;
        sg[i]!.dmaLength = e.dmaLength;
        if (n && e.dmaLength) obs.onMap?.('sg', e.dmaAddress, e.dmaLength, dir);
      }
      mappedSg.set(sg, core);
      return n;
    },
    unmapSg: (sg, dir) => {
      const core = mappedSg.get(sg);
      if (!core) throw new SdkError('PLUGIN_FAULT', `${info.bdf}: dma_unmap_sg of a list that was never mapped`);
      for (const e of core) if (e.dmaLength) obs.onUnmap?.('sg', e.dmaAddress, e.dmaLength);
      if (tr) {
        const total = core.reduce((a, e) => a + e.length, 0);
        tr.call(SPAN_DMA_UNMAP, total, dir, () => ops.unmapSg(core, DIR[dir]), core[0]?.dmaAddress);
      } else ops.unmapSg(core, DIR[dir]);
    },
    allocCoherent: (len) => {
      const r = ops.allocCoherent(len);
      if (!r) return null;
      owned.own(r.cpuPa, Math.ceil(len / PAGE));
      obs.onMap?.('coherent', r.dmaAddr, len, 'coherent');
      return { pa: r.cpuPa, dmaAddr: r.dmaAddr };
    },
    freeCoherent: (len, pa, a) => {
      obs.onUnmap?.('coherent', a, len);
      owned.disown(pa);
      // The buffer allocCoherent() gave the plugin (core's free checks the pair it mapped).
      ops.freeCoherent(len, pa as Hpa, dmaAddr(a));
    },
    syncForCpu: (a, len, dir) => ops.syncSingleForCpu(dmaAddr(a), len, DIR[dir]),
    syncForDevice: (a, len, dir) => ops.syncSingleForDevice(dmaAddr(a), len, DIR[dir]),
  };
}

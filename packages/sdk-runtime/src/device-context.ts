// SPDX-License-Identifier: Apache-2.0
// The DeviceContext a host hands a plugin, built on @iofleet/core's DMA layer and an IOMMU
// translation function: the driver half charges the simulated CPU through the DMA ops; the device
// half translates each 4 KiB page it touches and accumulates device time from the cost model
// (IOTLB hit, page-walk memory reads, per-page transfer). Plugins may only map memory they were
// given (pages from ctx.memory, coherent buffers): anything else is DMA_OUT_OF_BOUNDS, which the
// guard turns into a device fault.
//
// Device timing (docs/model.md "What is charged"). Three resources:
//  - the device's DMA path, which moves data at l0 per 4 KiB (dmaBase, U06) one transfer at a time;
//  - the IOMMU's page walkers: `pageWalkers` walks in progress at once, each of
//    memReads x walkMemRead (U06 lm; R34 on Broadwell);
//  - the device's own latency (media, link round trip: the plugin's busy()), overlapping across I/Os.
// Two kinds of DMA engine use them:
//  - bus.dma(), a streaming engine (NIC packet buffers, NVMe data): a transfer moves page by page
//    and the engine stalls on each page's translation, so one page at a time holds the DMA path
//    for l0 + translation across all the device's I/Os — the published fit of Fast & Safe IO
//    Memory Protection (SOSP 2024, R16/U06): throughput = bits / (l0 + reads x lm). A page's data
//    holds the path for its bytes' share of l0 (a 16-byte descriptor 0.25 ns), its translation
//    whole: a descriptor's IOTLB miss stalls the engine as a data page's does.
//  - bus.request(), independent requests under their own tags (pcie-bench, Neugebauer et al.,
//    SIGCOMM 2018): a miss waits only for a free walker, so up to pageWalkers walks overlap; the
//    data then holds the DMA path for its bytes' share of l0 (64 B: 1 ns). R30/R34: a miss adds
//    ~290 ns to one read, yet 19.2 M reads/s still complete with nearly all of them missing.
// The walkers are the IOMMU unit's (page-walkers.ts): a host passes one set per unit, so devices
// behind one unit wait for each other's walks. Simplifications: walks and streaming pages are served in the order the device starts its I/Os, not strictly in time
// order (request data books the path by time: busy-calendar.ts); a device's streaming and request
// transfers book the DMA path separately (no plugin mixes the two).
//
// The context is assembled from small parts: the DMA API (device-dma-api.ts), the memory the
// device holds (owned-memory.ts), the bus (device-bus.ts) on the device's timing
// (device-timing.ts), config space (config-space.ts) and a rate-limited log.

import type { SimTracer } from '@iofleet/core';
import { COST_SOFTWARE } from '@iofleet/core/cost';
import type { TranslationOut } from '@iofleet/core/hardware';
import type { DmaOps, DmaSim } from '@iofleet/core/linux';
import { mulberry32 } from '@iofleet/prng';
import { type Bar, type CpuApi, type DeviceContext, type DeviceInfo, type DeviceLogger, SdkError } from '@iofleet/sdk';
import { configSpace } from './config-space';
import { busApi } from './device-bus';
import { dmaApi } from './device-dma-api';
import type { DeviceObserver, DeviceParts } from './device-parts';
import { DeviceSideStats, DeviceTiming } from './device-timing';
import { DmaTrace } from './dma-trace';
import { memoryApi, OwnedMemory } from './owned-memory';
import type { PageWalkers } from './page-walkers';

/** Bound on log lines per device per second of simulated time (STYLE.md item 15). */
export const DEVICE_LOG_LINES_PER_SECOND = 20;

export interface RuntimeOptions {
  sim: DmaSim;
  ops: DmaOps;
  info: DeviceInfo;
  /** The device's memory access at `address` through its IOMMU (or untranslated). */
  access(address: number, write: boolean): TranslationOut;
  bars?: readonly Bar[];
  observer?: DeviceObserver;
  /**
   * The page walkers of the IOMMU unit translating for the device, shared with the unit's other
   * devices (page-walkers.ts); default: a set of its own (`pageWalkers` of the cost profile).
   */
  walkers?: PageWalkers;
  /** DMA spans (sampled); default: none. */
  tracer?: SimTracer;
  /** Host id, DMA path and domain id named on the spans. */
  trace?: { host: string; mode: string; domainId?: number };
}

function dmaTrace(o: RuntimeOptions): DmaTrace | null {
  if (!o.tracer) return null;
  return new DmaTrace(o.sim, o.tracer, {
    host: o.trace?.host ?? '',
    bdf: o.info.bdf,
    mode: o.trace?.mode ?? '',
    domainId: o.trace?.domainId ?? -1,
  });
}

/** Driver CPU work outside the DMA API, charged to the CPU the hook runs on. */
function cpuApi({ sim, info }: DeviceParts): CpuApi {
  return {
    work: (ns) => {
      if (!(ns >= 0) || !Number.isFinite(ns))
        throw new SdkError('PLUGIN_FAULT', `${info.bdf}: cpu.work(${ns}) is not a time`);
      sim.cost.charge(sim.cpus.current, COST_SOFTWARE, ns);
    },
    get id() {
      return sim.cpus.current.id;
    },
  };
}

/** Log lines, at most DEVICE_LOG_LINES_PER_SECOND per second of simulated time. */
function rateLimitedLog({ sim, info, obs }: DeviceParts): DeviceLogger {
  let budget = DEVICE_LOG_LINES_PER_SECOND;
  let window = 0;
  const log = (level: 'info' | 'warn', m: string) => {
    const sec = Math.floor(sim.cpus.current.nowNs / 1e9);
    if (sec !== window) {
      window = sec;
      budget = DEVICE_LOG_LINES_PER_SECOND;
    }
    if (budget-- > 0) obs.onLog?.(level, `${info.bdf}: ${m}`);
  };
  return { info: (m) => log('info', m), warn: (m) => log('warn', m) };
}

export class DeviceRuntime {
  readonly ctx: DeviceContext;
  readonly stats = new DeviceSideStats();
  private readonly owned = new OwnedMemory();
  private readonly timing: DeviceTiming;

  constructor(o: RuntimeOptions) {
    const { sim, info } = o;
    this.timing = new DeviceTiming(sim.cost.ns, this.stats, o.walkers);
    const obs = o.observer ?? {};
    const parts: DeviceParts = {
      sim,
      info,
      obs,
      stats: this.stats,
      timing: this.timing,
      owned: this.owned,
      trace: dmaTrace(o),
      access: o.access,
    };
    this.ctx = {
      device: info,
      dma: dmaApi(parts, o.ops),
      memory: memoryApi(info, sim.pages, this.owned),
      bus: busApi(parts),
      cpu: cpuApi(parts),
      config: configSpace(info),
      bars: o.bars ?? [],
      raiseIrq: (v) => obs.onIrq?.(v),
      nowNs: () => sim.cpus.current.nowNs,
      random: (seed) => mulberry32(seed),
      tracer: { event: (name, attrs = {}) => obs.onEvent?.(name, attrs) },
      log: rateLimitedLog(parts),
    };
  }

  /** True when [pa, pa + len) lies inside one region the device was given. */
  owns(pa: number, len: number): boolean {
    return this.owned.owns(pa, len);
  }

  /** The runner tells the device when (simulated ns) it starts working on the next I/O. */
  startDeviceWork(atNs: number): void {
    this.timing.startDeviceWork(atNs);
  }

  /** The IOMMU unit's page walkers (shared by the unit's devices when the host passes them). */
  get walkers(): PageWalkers {
    return this.timing.walkers;
  }

  get pagesHeld(): number {
    return this.owned.pagesHeld;
  }
}

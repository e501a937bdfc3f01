// SPDX-License-Identifier: Apache-2.0
// The device-side timing model (device-context.ts): a streaming engine (bus.dma) holds the DMA
// path through each page's translation; independent requests (bus.request) overlap their page
// walks up to the IOMMU's walkers and share the path only for their bytes.

import { RecordingTracer } from '@iofleet/core';
import { getCostProfile } from '@iofleet/core/cost';
import { mulberry32 } from '@iofleet/prng';
import type { IoHandle } from '@iofleet/sdk';
import { defineDevicePlugin, SDK_VERSION } from '@iofleet/sdk';
import { ATTR_SIM_LATENCY_NS, EVENT_IOTLB_MISS, SPAN_IOMMU_TRANSLATE } from '@iofleet/vocabulary';
import { describe, expect, it } from 'vitest';
import { TestEnvironment, type TestMode } from './test-environment';

interface ProbeOptions {
  engine: 'request' | 'dma';
  pages: number;
  size: number;
  tags: number;
  latencyNs: number;
}

interface ProbeIo extends IoHandle {
  addr: number;
}

/** Transfers of `size` bytes to random pages among `pages` separately mapped 4 KiB pages. */
const probe = defineDevicePlugin<ProbeOptions>({
  name: 'timing-probe',
  version: '1.0.0',
  sdk: `^${SDK_VERSION}`,
  parseOptions: (raw) => ({
    engine: raw.engine === 'dma' ? 'dma' : 'request',
    pages: Number(raw.pages ?? 1),
    size: Number(raw.size ?? 64),
    tags: Number(raw.tags ?? 1),
    latencyNs: Number(raw.latencyNs ?? 600),
  }),
  create: (ctx, o) => {
    let pages: { pa: number; dma: number }[] = [];
    const rand = mulberry32(12345);
    return {
      workload: {
        queueDepth: o.tags,
        parallelism: o.tags,
        start() {
          pages = Array.from({ length: o.pages }, () => {
            const pa = ctx.memory.allocPages(1);
            return { pa, dma: ctx.dma.mapSingle(pa, 4096, 'to-device') };
          });
        },
        stop() {
          for (const p of pages) {
            ctx.dma.unmapSingle(p.dma, 4096, 'to-device');
            ctx.memory.freePages(p.pa, 1);
          }
          pages = [];
        },
        submit: (): ProbeIo => ({ bytes: o.size, addr: pages[Math.floor(rand() * o.pages)]!.dma }),
        device(io: ProbeIo) {
          ctx.bus.busy(o.latencyNs);
          if (o.engine === 'request') ctx.bus.request(io.addr, o.size, false);
          else ctx.bus.dma(io.addr, o.size, false);
        },
        complete() {},
      },
    };
  },
});

const cost = getCostProfile('intel-icelake-sp').params;
const run = (mode: TestMode, options: Partial<Record<keyof ProbeOptions, string | number>>, maxIos = 20_000) =>
  new TestEnvironment(probe, { mode, options }).run({ maxIos, durationNs: 1e9 });

describe('device timing', () => {
  it('counts IOTLB misses and page-walk memory reads per I/O (F&S: misses plus paging-structure-cache misses)', () => {
    // One page per I/O over 2,048 pages: about three I/Os in four miss, each walk at least one read.
    const r = run('lazy', { engine: 'dma', pages: 2048 }, 5000);
    expect(r.iotlbMissesPerIo).toBeCloseTo(1 - r.iotlbHitRate, 6);
    expect(r.iotlbMissesPerIo).toBeGreaterThan(0.7);
    expect(r.walkReadsPerIo).toBeGreaterThanOrEqual(r.iotlbMissesPerIo);
    // Device time per I/O holds those reads: at least walkMemRead each.
    expect(r.deviceNsPerIo).toBeGreaterThan(r.walkReadsPerIo * cost.walkMemRead.value);
    // 16 pages stay in the IOTLB; pass-through never looks one up (every page counts as not a hit)
    // and walks no page table.
    expect(run('lazy', { engine: 'dma', pages: 16 }, 5000).iotlbMissesPerIo).toBeLessThan(0.01);
    const pt = run('pt', { engine: 'dma', pages: 2048 }, 2000);
    expect(pt.iotlbHitRate).toBe(0);
    expect(pt.walkReadsPerIo).toBeLessThan(0.01);
  });

  it('overlaps the page walks of independent requests, up to the IOMMU walkers; a streaming engine walks one at a time', () => {
    // 2,048 pages against a 512-entry IOTLB: three reads in four miss.
    const req = run('lazy', { engine: 'request', pages: 2048, tags: 32 });
    const str = run('lazy', { engine: 'dma', pages: 2048, tags: 32 });
    expect(req.iotlbHitRate).toBeLessThan(0.3);
    expect(str.iotlbHitRate).toBeLessThan(0.3);
    const walksPerSec = (r: typeof req) => r.iops * (1 - r.iotlbHitRate);
    // Each walk takes at least one memory read: walks in flight = rate x duration.
    const inFlight = (walksPerSec(req) * cost.walkMemRead.value) / 1e9;
    expect(inFlight).toBeGreaterThan(2);
    expect(inFlight).toBeLessThanOrEqual(cost.pageWalkers.value);
    expect((walksPerSec(str) * cost.walkMemRead.value) / 1e9).toBeLessThanOrEqual(1);
    expect(req.iops).toBeGreaterThan(2 * str.iops);
  });

  it("a lone request costs its round trip, its translation and its bytes' share of l0", () => {
    const data = (64 / 4096) * cost.dmaBase.value;
    const pt = run('pt', { size: 64 }, 2000); // pass-through: no translation after the context entry
    expect(pt.latencyMeanNs - (600 + data)).toBeGreaterThanOrEqual(0);
    expect(pt.latencyMeanNs - (600 + data)).toBeLessThan(1); // the first context-entry read, spread
    const hit = run('lazy', { size: 64 }, 2000); // one page: every read after the first hits
    expect(hit.latencyMeanNs - (600 + cost.iotlbHit.value + data)).toBeGreaterThan(0);
    expect(hit.latencyMeanNs - (600 + cost.iotlbHit.value + data)).toBeLessThan(2); // the first miss, spread
  });

  it('moves the data of concurrent requests one transfer at a time on the DMA path, at l0 per 4 KiB', () => {
    const r = run('pt', { size: 4096, tags: 32, latencyNs: 0 });
    expect(r.gbps).toBeCloseTo((4096 * 8) / cost.dmaBase.value, 0);
  });

  it('traces a request as bus.dma is traced: a translate span with its miss, walk reads and device time', () => {
    const tracer = new RecordingTracer(1);
    const rt = new TestEnvironment(probe, { mode: 'lazy', cpus: 1, tracer }).runtime;
    const pa = rt.ctx.memory.allocPages(1);
    const a = rt.ctx.dma.mapSingle(pa, 4096, 'to-device');
    rt.startDeviceWork(0);
    expect(rt.ctx.bus.request(a + 64, 64, false)).toBe(true);
    const span = tracer.spans.find((x) => x.name === SPAN_IOMMU_TRANSLATE)!;
    expect(span.events.filter((e) => e.name === EVENT_IOTLB_MISS)).toHaveLength(1);
    expect(span.attributes[ATTR_SIM_LATENCY_NS]).toBe(rt.stats.ioNs);
    expect(rt.stats.ioNs).toBeGreaterThan(cost.walkMemRead.value); // a cold walk: several reads
    expect(() => rt.ctx.bus.request(a, 0, false)).toThrow(/request of 0 bytes/);
  });
});

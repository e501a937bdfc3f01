// SPDX-License-Identifier: Apache-2.0
// ctx.bus: what the device does on the bus — streaming DMA (bus.dma), independent requests
// (bus.request) and its own busy time. Each 4 KiB page goes through the IOMMU (parts.access) and
// is charged on the device's timing (device-timing.ts; the model in device-context.ts).

import type { TranslationOut } from '@iofleet/core/hardware';
import { type BusApi, SdkError } from '@iofleet/sdk';
import { ATTR_SIM_LATENCY_NS } from '@iofleet/vocabulary';
import type { DeviceParts } from './device-parts';

const PAGE = 4096;

/** Counts one translated page; false (and the fault reported) when it faulted. */
function countPage(p: DeviceParts, t: TranslationOut): boolean {
  p.stats.pages++;
  if (!t.ok) {
    p.stats.faults++;
    if (t.fault) p.obs.onFault?.(t.fault);
    return false;
  }
  if (t.iotlbHit) p.stats.iotlbHits++;
  else p.stats.walkReads += t.memReads;
  return true;
}

/** A streaming engine's transfer: page by page, each holding the DMA path through its translation. */
function streamingDma(p: DeviceParts, a: number, len: number, write: boolean): boolean {
  const { stats, timing, trace: tr } = p;
  const cost = p.sim.cost.ns;
  let ok = true;
  const end = a + len;
  // Simulated time of a traced access: from the submitting CPU's clock, advanced by the device
  // time this access accumulates.
  const t0 = p.sim.cpus.current.nowNs;
  const io0 = stats.ioNs;
  const span = tr?.startTranslate(a, len, write, t0) ?? null;
  for (let pg = Math.floor(a / PAGE) * PAGE; pg < end; pg += PAGE) {
    const t = p.access(pg, write);
    if (span) tr!.page(span, t, pg, t0 + stats.ioNs - io0);
    if (!countPage(p, t)) {
      timing.dmaPage(0, 0, 0);
      ok = false;
      break;
    }
    // A streaming transfer holds the DMA path for its bytes' share of l0 (a 16-byte descriptor:
    // 0.25 ns), as a request does: l0 is U06's time per 4 KiB of data.
    const bytes = Math.min(end, pg + PAGE) - Math.max(a, pg);
    timing.dmaPage(t.iotlbHit ? cost.iotlbHit : 0, t.iotlbHit ? 0 : t.memReads * cost.walkMemRead, bytes);
  }
  p.obs.onAccess?.(a, len, write, ok);
  if (span) {
    const t1 = t0 + stats.ioNs - io0;
    span.setAttribute(ATTR_SIM_LATENCY_NS, t1 - t0);
    if (!ok) span.setError('IOMMU fault');
    span.end(t1);
  }
  return ok;
}

/** One request under its own tag: a miss waits only for a free walker; the data books the path by time. */
function request(p: DeviceParts, a: number, len: number, write: boolean): boolean {
  if (!(len > 0) || !Number.isFinite(a) || a < 0)
    throw new SdkError('PLUGIN_FAULT', `${p.info.bdf}: request of ${len} bytes at ${a} is not a transfer`);
  const { timing, trace: tr } = p;
  const cost = p.sim.cost.ns;
  let ok = true;
  const end = a + len;
  const t0 = timing.now;
  let at = t0;
  // A traced request: simulated time from the submitting CPU's clock, as bus.dma's spans.
  const clock0 = p.sim.cpus.current.nowNs;
  const span = tr?.startTranslate(a, len, write, clock0) ?? null;
  for (let pg = Math.floor(a / PAGE) * PAGE; pg < end; pg += PAGE) {
    const t = p.access(pg, write);
    if (span) tr!.page(span, t, pg, clock0 + at - t0);
    if (!countPage(p, t)) {
      ok = false;
      break;
    }
    const walkNs = t.iotlbHit ? 0 : t.memReads * cost.walkMemRead;
    at = t.iotlbHit ? at + cost.iotlbHit : walkNs > 0 ? timing.walk(at, walkNs) : at;
    // The data: this page's bytes at l0 per 4 KiB, in the first gap on the DMA path once the
    // translation is done (requests become ready out of order: see busy-calendar.ts).
    at = timing.requestData(at, Math.min(end, pg + PAGE) - Math.max(a, pg));
  }
  timing.spend(at - t0);
  p.obs.onAccess?.(a, len, write, ok);
  if (span) {
    span.setAttribute(ATTR_SIM_LATENCY_NS, at - t0);
    if (!ok) span.setError('IOMMU fault');
    span.end(clock0 + at - t0);
  }
  return ok;
}

export function busApi(p: DeviceParts): BusApi {
  return {
    dma: (a, len, write) => streamingDma(p, a, len, write),
    request: (a, len, write) => request(p, a, len, write),
    busy: (ns) => {
      if (!(ns >= 0) || !Number.isFinite(ns))
        throw new SdkError('PLUGIN_FAULT', `${p.info.bdf}: busy(${ns}) is not a time`);
      p.stats.ioNs += ns;
    },
    nowNs: () => p.timing.deviceNow,
  };
}

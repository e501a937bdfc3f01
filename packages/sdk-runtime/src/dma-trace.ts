// SPDX-License-Identifier: Apache-2.0
// DMA spans of a device (STYLE.md item 15): `dma.map` / `dma.unmap` around the driver's DMA API
// calls and `iommu.translate` around the device's accesses, with an event per page (IOTLB hit or
// miss, each page-walk level) and an `iommu.fault` span for a faulting access. Times are the
// SIMULATED clock: the span's duration is the simulated latency. Sampling is decided once per
// call; with tracing off a call site costs one branch.

import type { SimSpan, SimTracer } from '@iofleet/core';
import { COST_INVALIDATION } from '@iofleet/core/cost';
import type { TranslationOut } from '@iofleet/core/hardware';
import type { DmaSim } from '@iofleet/core/linux';
import {
  ATTR_DEVICE_BDF,
  ATTR_DIRECTION,
  ATTR_DOMAIN_ID,
  ATTR_FAULT_REASON,
  ATTR_HOST,
  ATTR_IOVA,
  ATTR_LENGTH,
  ATTR_MODE,
  ATTR_SIM_LATENCY_NS,
  ATTR_WALK_LEVEL,
  EVENT_INVALIDATION_WAIT,
  EVENT_IOTLB_HIT,
  EVENT_IOTLB_MISS,
  EVENT_WALK_LEVEL,
  type SPAN_DMA_MAP,
  type SPAN_DMA_UNMAP,
  SPAN_IOMMU_FAULT,
  SPAN_IOMMU_TRANSLATE,
} from '@iofleet/vocabulary';

export interface DmaTraceContext {
  host: string;
  bdf: string;
  /** The device's DMA path: pt, lazy, strict, vfio, emulated... */
  mode: string;
  /** Hardware domain id of the device's translating domain (-1 when it has none). */
  domainId: number;
}

export class DmaTrace {
  constructor(
    private readonly sim: DmaSim,
    private readonly tracer: SimTracer,
    private readonly ctx: DmaTraceContext,
  ) {}

  /** What every span of the device names: host, device, DMA path, domain (read per span: the domain may change). */
  private deviceAttributes() {
    const c = this.ctx;
    return { [ATTR_HOST]: c.host, [ATTR_DEVICE_BDF]: c.bdf, [ATTR_MODE]: c.mode, [ATTR_DOMAIN_ID]: c.domainId };
  }

  /** A DMA API call (map or unmap), traced when sampled; returns what `fn` returns. */
  call<T>(
    name: typeof SPAN_DMA_MAP | typeof SPAN_DMA_UNMAP,
    length: number,
    dir: string,
    fn: () => T,
    /** The IOVA named on the span: given, or read off the result (default: a map's return value). */
    iova?: number | ((r: T) => number),
  ): T {
    if (!this.tracer.enabled || !this.tracer.sample()) return fn();
    const cpu = this.sim.cpus.current;
    const t0 = cpu.nowNs;
    const inv0 = this.sim.cost.totals[COST_INVALIDATION]!;
    const r = fn();
    const t1 = this.sim.cpus.current.nowNs;
    const span = this.tracer.startSpan(name, t0, {
      ...this.deviceAttributes(),
      [ATTR_LENGTH]: length,
      [ATTR_DIRECTION]: dir,
      [ATTR_IOVA]: typeof iova === 'function' ? iova(r) : (iova ?? (typeof r === 'number' ? r : -1)),
      [ATTR_SIM_LATENCY_NS]: t1 - t0,
    });
    const inv = this.sim.cost.totals[COST_INVALIDATION]! - inv0;
    if (inv > 0) span.addEvent(EVENT_INVALIDATION_WAIT, { [ATTR_SIM_LATENCY_NS]: inv }, t1);
    span.end(t1);
    return r;
  }

  /** A sampled device access: the span `iommu.translate`, or null when not sampled. */
  startTranslate(iova: number, length: number, write: boolean, startNs: number): SimSpan | null {
    if (!this.tracer.enabled || !this.tracer.sample()) return null;
    return this.tracer.startSpan(SPAN_IOMMU_TRANSLATE, startNs, {
      ...this.deviceAttributes(),
      [ATTR_IOVA]: iova,
      [ATTR_LENGTH]: length,
      [ATTR_DIRECTION]: write ? 'write' : 'read',
    });
  }

  /** One page of a traced access: IOTLB hit or miss, each walk level, a fault span. */
  page(span: SimSpan, t: TranslationOut, page: number, atNs: number): void {
    if (t.iotlbHit) span.addEvent(EVENT_IOTLB_HIT, { [ATTR_IOVA]: page }, atNs);
    else {
      span.addEvent(EVENT_IOTLB_MISS, { [ATTR_IOVA]: page }, atNs);
      for (let l = 0; l < t.memReads; l++) span.addEvent(EVENT_WALK_LEVEL, { [ATTR_WALK_LEVEL]: l + 1 }, atNs);
    }
    if (!t.ok && t.fault) {
      const f = this.tracer.startSpan(
        SPAN_IOMMU_FAULT,
        atNs,
        { [ATTR_FAULT_REASON]: t.fault.reason, [ATTR_IOVA]: page },
        span,
      );
      f.setError(t.fault.logLine);
      f.end(atNs);
    }
  }
}

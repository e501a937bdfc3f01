// SPDX-License-Identifier: Apache-2.0
// The device side's time (docs/model.md "What is charged"; the model is described in
// device-context.ts): the device's DMA path, which streaming transfers hold one page at a time
// across all the device's I/Os (dmaFreeAt) and independent requests book by time (requestPath),
// and the IOMMU unit's page walkers (page-walkers.ts), shared by the unit's devices.

import type { CostNs } from '@iofleet/core/cost';
import { BusyCalendar } from './busy-calendar';
import { PageWalkers } from './page-walkers';

const PAGE = 4096;
/** How far back (ns before the device starts an I/O) the request path keeps its bookings. */
const REQUEST_HORIZON_NS = 100_000;

/** Device-side accounting of the I/O in progress and of the whole run. */
export class DeviceSideStats {
  ioNs = 0;
  pages = 0;
  iotlbHits = 0;
  /** IOMMU memory reads of the walks after IOTLB misses (F&S's M: page-walk reads, U06). */
  walkReads = 0;
  faults = 0;
}

export class DeviceTiming {
  /** When the device started the current I/O (simulated ns), and its DMA time in it so far. */
  private deviceStart = 0;
  /** The device's accumulated time (stats.ioNs) when the current I/O started. */
  private ioNsAtStart = 0;
  private dmaNsThisIo = 0;
  /** When the DMA path is free of streaming pages next. */
  private dmaFreeAt = 0;
  /** The DMA path as independent requests book it (streaming transfers use dmaFreeAt). */
  private readonly requestPath = new BusyCalendar();
  /** The IOMMU unit's page walkers (shared by the unit's devices when the host passes them). */
  readonly walkers: PageWalkers;

  constructor(
    private readonly cost: CostNs,
    private readonly stats: DeviceSideStats,
    walkers?: PageWalkers,
  ) {
    this.walkers = walkers ?? new PageWalkers(cost.pageWalkers);
  }

  /** The runner tells the device when (simulated ns) it starts working on the next I/O. */
  startDeviceWork(atNs: number): void {
    this.deviceStart = atNs;
    this.ioNsAtStart = this.stats.ioNs;
    this.requestPath.forgetBefore(atNs - REQUEST_HORIZON_NS);
    this.dmaNsThisIo = 0;
  }

  /** Where the current I/O's DMA is on the device's clock. */
  get now(): number {
    return this.deviceStart + this.dmaNsThisIo;
  }

  /** bus.nowNs(): when the device started the current I/O plus all the time it accumulated since. */
  get deviceNow(): number {
    return this.deviceStart + (this.stats.ioNs - this.ioNsAtStart);
  }

  /** A page walk of `ns` that may start at `at`, on the unit's walker free first; returns when it ends. */
  walk(at: number, ns: number): number {
    return this.walkers.walk(at, ns);
  }

  /**
   * One page of a streaming transfer: waits while the DMA path serves earlier I/Os' pages, then
   * holds it for the translation (an IOTLB hit's `hitNs`, or a walk of `walkNs` on a walker) and
   * the `bytes` it moves at l0 per 4 KiB.
   */
  dmaPage(hitNs: number, walkNs: number, bytes: number): void {
    const now = this.now;
    const start = Math.max(now, this.dmaFreeAt);
    const end = (walkNs > 0 ? this.walk(start, walkNs) : start + hitNs) + (bytes / PAGE) * this.cost.dmaBase;
    this.spend(end - now);
    this.dmaFreeAt = end;
  }

  /** `bytes` of a request's data, ready at `at`, in the first gap on the DMA path: when they are moved. */
  requestData(at: number, bytes: number): number {
    return this.requestPath.book(at, (bytes / PAGE) * this.cost.dmaBase);
  }

  /** Charges `ns` of DMA time to the current I/O. */
  spend(ns: number): void {
    this.stats.ioNs += ns;
    this.dmaNsThisIo += ns;
  }
}

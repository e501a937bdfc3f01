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
// behind one unit wait for each other's walks. Simplifications: walks
// and streaming pages are served in the order the device starts its I/Os, not strictly in time
// order (request data books the path by time: busy-calendar.ts); a device's streaming and request
// transfers book the DMA path separately (no plugin mixes the two).

import type { SimTracer } from '@iofleet/core';
import { COST_SOFTWARE } from '@iofleet/core/cost';
import type { TranslationFault, TranslationOut } from '@iofleet/core/hardware';
import {
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  DMA_TO_DEVICE,
  type DmaOps,
  type DmaSim,
  scatterEntry,
} from '@iofleet/core/linux';
import { ATTR_SIM_LATENCY_NS, SPAN_DMA_MAP, SPAN_DMA_UNMAP } from '@iofleet/vocabulary';
import type { Bar, ConfigSpace, DeviceContext, DeviceInfo, DmaDirection, SgEntry } from '../context';
import { SdkError } from '../errors';
import { BusyCalendar } from './busy-calendar';
import { DmaTrace } from './dma-trace';
import { PageWalkers } from './page-walkers';

const DIR = { bidirectional: DMA_BIDIRECTIONAL, 'to-device': DMA_TO_DEVICE, 'from-device': DMA_FROM_DEVICE } as const;
const PAGE = 4096;
/** Bound on the pages one device may hold (16 GiB): a leak becomes a typed error, not an OOM. */
export const MAX_DEVICE_PAGES = 4 << 20;
/** How far back (ns before the device starts an I/O) the request path keeps its bookings. */
const REQUEST_HORIZON_NS = 100_000;
/** Bound on log lines per device per second of simulated time (STYLE.md item 15). */
export const DEVICE_LOG_LINES_PER_SECOND = 20;

/** What a host (or the test environment) watches a device do. */
export interface DeviceObserver {
  onMap?(kind: 'single' | 'sg' | 'coherent', dmaAddr: number, length: number, dir: DmaDirection | 'coherent'): void;
  onUnmap?(kind: 'single' | 'sg' | 'coherent', dmaAddr: number, length: number): void;
  onAccess?(dmaAddr: number, length: number, write: boolean, ok: boolean): void;
  onFault?(fault: TranslationFault): void;
  onIrq?(vector: number): void;
  onEvent?(name: string, attributes: Record<string, string | number | boolean>): void;
  onLog?(level: 'info' | 'warn', line: string): void;
}

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

/** Device-side accounting of the I/O in progress and of the whole run. */
export class DeviceSideStats {
  ioNs = 0;
  pages = 0;
  iotlbHits = 0;
  faults = 0;
}

function configSpace(info: DeviceInfo): ConfigSpace {
  const regs = new DataView(new ArrayBuffer(4096));
  regs.setUint16(0, Number.parseInt(info.vendor ?? 'ffff', 16), true);
  regs.setUint16(2, Number.parseInt(info.device ?? 'ffff', 16), true);
  const check = (o: number, size: number) => {
    if (!Number.isInteger(o) || o < 0 || o + size > 4096 || o % size !== 0)
      throw new SdkError('PLUGIN_FAULT', `${info.bdf}: config access at ${o} size ${size} is outside or unaligned`);
  };
  return {
    read(o, size) {
      check(o, size);
      return size === 1 ? regs.getUint8(o) : size === 2 ? regs.getUint16(o, true) : regs.getUint32(o, true);
    },
    write(o, size, v) {
      check(o, size);
      if (o < 4) return; // vendor and device ids are read-only
      if (size === 1) regs.setUint8(o, v);
      else if (size === 2) regs.setUint16(o, v, true);
      else regs.setUint32(o, v >>> 0, true);
    },
  };
}

export class DeviceRuntime {
  readonly ctx: DeviceContext;
  readonly stats = new DeviceSideStats();
  /** Pages this device owns: first page address -> count. */
  private readonly owned = new Map<number, number>();
  private ownedPages = 0;
  /**
   * The device's DMA path (page transfers and the IOMMU page walks they need) serves one page at a
   * time, across all the I/Os in flight, in the order the device starts them — the published fit
   * of Fast & Safe IO Memory Protection (SOSP 2024): throughput = bits / (l0 + reads x lm). Media
   * and link time (busy) overlap across I/Os and do not hold the path.
   */
  private deviceStart = 0;
  /** The device's accumulated time (stats.ioNs) when the current I/O started. */
  private ioNsAtStart = 0;
  private dmaNsThisIo = 0;
  private dmaFreeAt = 0;
  /** The DMA path as independent requests book it (streaming transfers use dmaFreeAt). */
  private readonly requestPath = new BusyCalendar();
  /** The IOMMU unit's page walkers (shared by the unit's devices when the host passes them). */
  readonly walkers: PageWalkers;
  private logBudget = DEVICE_LOG_LINES_PER_SECOND;
  private logWindow = 0;

  constructor(o: RuntimeOptions) {
    const { sim, ops, info } = o;
    const obs = o.observer ?? {};
    const cost = sim.cost.ns;
    const stats = this.stats;
    this.walkers = o.walkers ?? new PageWalkers(cost.pageWalkers);
    this.dmaBaseNs = cost.dmaBase;
    /** Translation time of one page: an IOTLB hit, or the walk's memory reads (0 untranslated). */
    const translateNs = (t: TranslationOut) => (t.iotlbHit ? cost.iotlbHit : t.memReads * cost.walkMemRead);
    const tr = o.tracer
      ? new DmaTrace(sim, o.tracer, {
          host: o.trace?.host ?? '',
          bdf: info.bdf,
          mode: o.trace?.mode ?? '',
          domainId: o.trace?.domainId ?? -1,
        })
      : null;
    const owns = (pa: number, len: number) => this.owns(pa, len);
    const check = (pa: number, len: number, what: string) => {
      if (!owns(pa, len))
        throw new SdkError(
          'DMA_OUT_OF_BOUNDS',
          `${info.bdf}: ${what} of [0x${pa.toString(16)}, +${len}) maps memory the device was not given`,
          { pa, length: len },
        );
    };
    const log = (level: 'info' | 'warn', m: string) => {
      const sec = Math.floor(sim.cpus.current.nowNs / 1e9);
      if (sec !== this.logWindow) {
        this.logWindow = sec;
        this.logBudget = DEVICE_LOG_LINES_PER_SECOND;
      }
      if (this.logBudget-- > 0) obs.onLog?.(level, `${info.bdf}: ${m}`);
    };
    this.ctx = {
      device: info,
      dma: {
        setMask: (bits) => {
          if (!Number.isInteger(bits) || bits < 24 || bits > 64)
            throw new SdkError('PLUGIN_FAULT', `${info.bdf}: dma mask of ${bits} bits is not supported`);
          (ops as { dev?: { dmaBits: number } }).dev!.dmaBits = bits;
        },
        mapSingle: (pa, len, dir) => {
          check(pa, len, 'dma_map_single');
          const a = tr
            ? tr.call(SPAN_DMA_MAP, len, dir, () => ops.mapPage(pa, len, DIR[dir]))
            : ops.mapPage(pa, len, DIR[dir]);
          if (a >= 0) obs.onMap?.('single', a, len, dir);
          return a;
        },
        unmapSingle: (a, len, dir) => {
          obs.onUnmap?.('single', a, len);
          if (tr) tr.call(SPAN_DMA_UNMAP, len, dir, () => ops.unmapPage(a, len, DIR[dir]), a);
          else ops.unmapPage(a, len, DIR[dir]);
        },
        mapSg: (sg: SgEntry[], dir) => {
          for (const e of sg) check(e.pa, e.length, 'dma_map_sg');
          const core = sg.map((e) => scatterEntry(e.pa, e.length));
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
          (sg as unknown as { __core?: unknown }).__core = core;
          return n;
        },
        unmapSg: (sg, dir) => {
          const core = (sg as unknown as { __core?: ReturnType<typeof scatterEntry>[] }).__core;
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
          this.own(r.cpuPa, Math.ceil(len / PAGE));
          obs.onMap?.('coherent', r.dmaAddr, len, 'coherent');
          return { pa: r.cpuPa, dmaAddr: r.dmaAddr };
        },
        freeCoherent: (len, pa, a) => {
          obs.onUnmap?.('coherent', a, len);
          this.disown(pa);
          ops.freeCoherent(len, pa, a);
        },
        syncForCpu: (a, len, dir) => ops.syncSingleForCpu(a, len, DIR[dir]),
        syncForDevice: (a, len, dir) => ops.syncSingleForDevice(a, len, DIR[dir]),
      },
      memory: {
        allocPages: (n, align = 1) => {
          if (!Number.isInteger(n) || n < 1 || this.ownedPages + n > MAX_DEVICE_PAGES)
            throw new SdkError(
              'PLUGIN_FAULT',
              `${info.bdf}: cannot allocate ${n} pages (holds ${this.ownedPages}, limit ${MAX_DEVICE_PAGES})`,
            );
          if (!Number.isInteger(align) || align < 1 || align > MAX_DEVICE_PAGES || (align & (align - 1)) !== 0)
            throw new SdkError('PLUGIN_FAULT', `${info.bdf}: page alignment ${align} is not a power of two`);
          const pa = sim.pages.allocPages(n, align);
          if (pa < 0) throw new SdkError('PLUGIN_FAULT', `${info.bdf}: out of simulated memory for ${n} pages`);
          this.own(pa, n);
          return pa;
        },
        freePages: (pa, n) => {
          if (this.owned.get(pa) !== n)
            throw new SdkError('PLUGIN_FAULT', `${info.bdf}: free of pages it does not hold at 0x${pa.toString(16)}`);
          this.disown(pa);
          sim.pages.freePages(pa, n);
        },
      },
      bus: {
        dma: (a, len, write) => {
          let ok = true;
          const end = a + len;
          // Simulated time of a traced access: from the submitting CPU's clock, advanced by the
          // device time this access accumulates.
          const t0 = sim.cpus.current.nowNs;
          const io0 = stats.ioNs;
          const span = tr?.startTranslate(a, len, write, t0) ?? null;
          for (let p = Math.floor(a / PAGE) * PAGE; p < end; p += PAGE) {
            const t = o.access(p, write);
            if (span) tr!.page(span, t, p, t0 + stats.ioNs - io0);
            stats.pages++;
            // A streaming transfer holds the DMA path for its bytes' share of l0 (a 16-byte
            // descriptor: 0.25 ns), as a request does: l0 is U06's time per 4 KiB of data.
            const bytes = Math.min(end, p + PAGE) - Math.max(a, p);
            if (!t.ok) {
              this.dmaPage(0, 0, 0);
              ok = false;
              stats.faults++;
              if (t.fault) obs.onFault?.(t.fault);
              break;
            }
            if (t.iotlbHit) stats.iotlbHits++;
            this.dmaPage(t.iotlbHit ? cost.iotlbHit : 0, t.iotlbHit ? 0 : translateNs(t), bytes);
          }
          obs.onAccess?.(a, len, write, ok);
          if (span) {
            const t1 = t0 + stats.ioNs - io0;
            span.setAttribute(ATTR_SIM_LATENCY_NS, t1 - t0);
            if (!ok) span.setError('IOMMU fault');
            span.end(t1);
          }
          return ok;
        },
        request: (a, len, write) => {
          if (!(len > 0) || !Number.isFinite(a) || a < 0)
            throw new SdkError('PLUGIN_FAULT', `${info.bdf}: request of ${len} bytes at ${a} is not a transfer`);
          let ok = true;
          const end = a + len;
          const t0 = this.deviceStart + this.dmaNsThisIo;
          let at = t0;
          // A traced request: simulated time from the submitting CPU's clock, as bus.dma's spans.
          const clock0 = sim.cpus.current.nowNs;
          const span = tr?.startTranslate(a, len, write, clock0) ?? null;
          for (let p = Math.floor(a / PAGE) * PAGE; p < end; p += PAGE) {
            const t = o.access(p, write);
            if (span) tr!.page(span, t, p, clock0 + at - t0);
            stats.pages++;
            if (!t.ok) {
              ok = false;
              stats.faults++;
              if (t.fault) obs.onFault?.(t.fault);
              break;
            }
            if (t.iotlbHit) stats.iotlbHits++;
            const walkNs = t.iotlbHit ? 0 : translateNs(t);
            at = t.iotlbHit ? at + cost.iotlbHit : walkNs > 0 ? this.walk(at, walkNs) : at;
            // The data: this page's bytes at l0 per 4 KiB, in the first gap on the DMA path once
            // the translation is done (requests become ready out of order: see busy-calendar.ts).
            const bytes = Math.min(end, p + PAGE) - Math.max(a, p);
            at = this.requestPath.book(at, (bytes / PAGE) * cost.dmaBase);
          }
          stats.ioNs += at - t0;
          this.dmaNsThisIo += at - t0;
          obs.onAccess?.(a, len, write, ok);
          if (span) {
            span.setAttribute(ATTR_SIM_LATENCY_NS, at - t0);
            if (!ok) span.setError('IOMMU fault');
            span.end(clock0 + at - t0);
          }
          return ok;
        },
        busy: (ns) => {
          if (!(ns >= 0) || !Number.isFinite(ns))
            throw new SdkError('PLUGIN_FAULT', `${info.bdf}: busy(${ns}) is not a time`);
          stats.ioNs += ns;
        },
        nowNs: () => this.deviceStart + (stats.ioNs - this.ioNsAtStart),
      },
      cpu: {
        work: (ns) => {
          if (!(ns >= 0) || !Number.isFinite(ns))
            throw new SdkError('PLUGIN_FAULT', `${info.bdf}: cpu.work(${ns}) is not a time`);
          sim.cost.charge(sim.cpus.current, COST_SOFTWARE, ns);
        },
        get id() {
          return sim.cpus.current.id;
        },
      },
      config: configSpace(info),
      bars: o.bars ?? [],
      raiseIrq: (v) => obs.onIrq?.(v),
      nowNs: () => sim.cpus.current.nowNs,
      tracer: { event: (name, attrs = {}) => obs.onEvent?.(name, attrs) },
      log: { info: (m) => log('info', m), warn: (m) => log('warn', m) },
    };
  }

  /** Sorted region bases, for a binary search per map call. */
  private readonly bases: number[] = [];

  private floorIndex(pa: number): number {
    let lo = 0;
    let hi = this.bases.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.bases[mid]! <= pa) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  private own(pa: number, n: number): void {
    this.owned.set(pa, n);
    this.bases.splice(this.floorIndex(pa) + 1, 0, pa);
    this.ownedPages += n;
  }

  private disown(pa: number): void {
    this.ownedPages -= this.owned.get(pa) ?? 0;
    this.owned.delete(pa);
    const i = this.floorIndex(pa);
    if (this.bases[i] === pa) this.bases.splice(i, 1);
  }

  /** True when [pa, pa + len) lies inside one region the device was given. */
  owns(pa: number, len: number): boolean {
    const i = this.floorIndex(pa);
    if (i < 0 || len < 0) return false;
    const base = this.bases[i]!;
    return pa + len <= base + this.owned.get(base)! * PAGE;
  }

  /** The runner tells the device when (simulated ns) it starts working on the next I/O. */
  startDeviceWork(atNs: number): void {
    this.deviceStart = atNs;
    this.ioNsAtStart = this.stats.ioNs;
    this.requestPath.forgetBefore(atNs - REQUEST_HORIZON_NS);
    this.dmaNsThisIo = 0;
  }

  private readonly dmaBaseNs: number;

  /** A page walk of `ns` that may start at `at`, on the unit's walker free first; returns when it ends. */
  private walk(at: number, ns: number): number {
    return this.walkers.walk(at, ns);
  }

  /**
   * One page of a streaming transfer: waits while the DMA path serves earlier I/Os' pages, then
   * holds it for the translation (an IOTLB hit's `hitNs`, or a walk of `walkNs` on a walker) and
   * the `bytes` it moves at l0 per 4 KiB.
   */
  private dmaPage(hitNs: number, walkNs: number, bytes: number): void {
    const now = this.deviceStart + this.dmaNsThisIo;
    const start = Math.max(now, this.dmaFreeAt);
    const end = (walkNs > 0 ? this.walk(start, walkNs) : start + hitNs) + (bytes / PAGE) * this.dmaBaseNs;
    const spent = end - now;
    this.stats.ioNs += spent;
    this.dmaNsThisIo += spent;
    this.dmaFreeAt = end;
  }

  get pagesHeld(): number {
    return this.ownedPages;
  }
}

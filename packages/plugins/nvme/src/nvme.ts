// SPDX-License-Identifier: Apache-2.0
// An NVMe controller and its Linux driver's data path (drivers/nvme/host/pci.c), written against
// @iofleet/sdk only. Per queue: a submission queue of 64-byte commands and a completion queue of
// 16-byte entries in coherent memory (nvme_alloc_queue()); a PRP-list page pool. Per I/O the driver
// maps the data buffer (nvme_map_data(): one streaming mapping of the request's pages; a PRP list
// in a pool page above two pages, NVMe base spec §4.1.1), writes the command and rings the
// doorbell; the device fetches the command, reads the PRP list, moves the data, posts a completion
// and raises the queue's MSI-X vector; the driver unmaps on completion (nvme_unmap_data()).
//
// Device time is modelled as media latency (random or sequential, read or write) plus the link
// transfer; a drive serves `parallelism` commands at once (flash channels and dies), and their
// transfers share the link one after another, in the order they come off the media, so throughput
// cannot pass linkGBps. Defaults are a PCIe Gen4 data-centre drive: ~1.8 M random-read IOPS at
// 4 KiB, ~7 GB/s (a Gen5 drive: linkGBps=14). Driver CPU costs outside the DMA API are
// assumptions (below).
//
// Media latency is not one number on a real drive: a TLC read senses one, two or more read levels
// depending on the page's type, and a read can find its die busy with another. No datasheet gives
// the spread for the drives the calibration rows ran, so it is an assumption: each I/O's media
// time is drawn uniformly within ±mediaJitter of the mean (10 %), from a seeded generator (the
// same run gives the same figures). A constant latency put every I/O in lock-step with the one a
// queue depth earlier, so a translation's few hundred ns could line I/Os up on the link, or not,
// by accident of the queue depth; 10 % is the smallest spread at which R01's lazy/pt no longer
// depends on the job count (docs/model.md, "R01's lazy/pt, and the NVMe drive's media latency").
//
// The job's batches are fio's: `batchSubmit` I/Os go to the drive at once (iodepth_batch_submit:
// fio queues I/Os as slots free up and commits them once that many are queued, or the queue is
// full), and a reap waits for `batchComplete` completions before any slot is refilled
// (iodepth_batch_complete_min). Both default to 1, each I/O on its own; above `qd` they are `qd`
// (fio's fixup_options()). The workload runner does the batching (WorkloadHooks, SDK 0.2.4).

import {
  type DeviceContext,
  defineDevicePlugin,
  type IoHandle,
  type Random,
  type RawOptions,
  ReadyOrderLink,
  readOptions,
  SDK_VERSION,
  type SgEntry,
} from '@iofleet/sdk';

const PAGE = 4096;
const SQE = 64;
const CQE = 16;
/**
 * CPU time of one I/O outside the DMA API, ns: the application's submission, io_uring or libaio,
 * blk-mq, nvme_queue_rq(), and on completion nvme_irq() or the poll loop and
 * blk_mq_end_request(). Assumption for fio with interrupts: ~1.6 µs per I/O. `driverNs` sets it
 * for a leaner path: fio's t/io_uring with polled queues and batched submission reaches ~5 M
 * IOPS on one core with the IOMMU in pass-through (R02), i.e. ~0.2 µs per I/O in all.
 */
const DRIVER_NS = 1_600;
/** Share of DRIVER_NS spent on submission (nvme_queue_rq() side); the rest on completion. */
const SUBMIT_SHARE = 900 / 1_600;
/**
 * An O_DIRECT user buffer is pinned for each I/O and unpinned when it completes
 * (bio_iov_iter_get_pages() -> pin_user_pages_fast(), bio_release_pages()), ns per page
 * (assumption: a lockless page-table walk and a page reference each way). Registered
 * (io_uring fixed) and kernel buffers stay pinned.
 */
const USER_PIN_NS_PER_PAGE = 100;
/** Interrupt delivery and completion scheduling, ns (assumption); a polled queue has none. */
const IRQ_LATENCY_NS = 1_000;
/** Bound on the queue depth an option may ask for (Linux's io_queue_depth default is 1024). */
export const NVME_MAX_QUEUE_DEPTH = 4096;

export interface NvmeOptions {
  bs: number;
  /**
   * 'map': a streaming mapping of a physically contiguous buffer per I/O; 'user': an
   * application's O_DIRECT buffer, whose pages are scattered, so above one page the driver maps a
   * scatterlist of one segment per page (blk_rq_map_sg() + dma_map_sgtable() in nvme_map_data());
   * 'premapped': buffers mapped once when the queue starts (io_uring registered buffers with
   * dma pre-mapping, R04's "dma" case).
   */
  buffers: 'map' | 'user' | 'premapped';
  qd: number;
  jobs: number;
  rw: 'randread' | 'randwrite' | 'read' | 'write';
  readLatencyNs: number;
  writeLatencyNs: number;
  parallelism: number;
  linkGBps: number;
  /** Media latency spread: each I/O's within ±this fraction of the mean, uniform (assumption). */
  mediaJitter: number;
  /** Seed of the media-latency draws (mixed with the device's BDF, so drives differ). */
  seed: number;
  driverNs: number;
  /** Completions reaped by polling (nvme.poll_queues, io_uring IOPOLL): no interrupt. */
  poll: boolean;
  /** I/Os a job hands to the drive at once (fio iodepth_batch_submit). */
  batchSubmit: number;
  /** Completions a job's reap waits for before it refills a slot (fio iodepth_batch_complete_min). */
  batchComplete: number;
}

export function parseNvmeOptions(raw: RawOptions): NvmeOptions {
  return readOptions('nvme', raw, {
    bs: { bytes: 4096, min: 512, max: 2 * 1024 * 1024, multipleOf: 512 },
    buffers: { oneOf: ['map', 'user', 'premapped'], default: 'map' },
    qd: { integer: 32, min: 1, max: NVME_MAX_QUEUE_DEPTH },
    jobs: { integer: 1, min: 1, max: 256 },
    rw: { oneOf: ['randread', 'randwrite', 'read', 'write'], default: 'randread' },
    readLatencyNs: { number: 70_000, min: 0, max: 1e9 },
    writeLatencyNs: { number: 20_000, min: 0, max: 1e9 },
    parallelism: { integer: 128, min: 1, max: 65536 },
    linkGBps: { number: 7, min: 0.1, max: 1000 },
    mediaJitter: { number: 0.1, min: 0, max: 0.9 },
    seed: { integer: 1, min: 0, max: 2 ** 31 - 1 },
    driverNs: { number: DRIVER_NS, min: 0, max: 1e6 },
    poll: { flag: false },
    batchSubmit: { integer: 1, min: 1, max: NVME_MAX_QUEUE_DEPTH },
    batchComplete: { integer: 1, min: 1, max: NVME_MAX_QUEUE_DEPTH },
  });
}

/** FNV-1a of a BDF: each drive of a multi-device run draws its own media latencies. */
function bdfHash(bdf: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bdf.length; i++) h = Math.imul(h ^ bdf.charCodeAt(i), 0x01000193);
  return h & 0x7fffffff;
}

interface NvmeIo extends IoHandle {
  slot: number;
  dmaAddr: number;
  /** DMA address of the PRP list page, or -1. */
  prpList: number;
  /** 'user' buffers above one page: the mapped scatterlist and its DMA segment count. */
  sg: SgEntry[] | null;
  segments: number;
}

interface Coherent {
  pa: number;
  dmaAddr: number;
}

function createNvme(ctx: DeviceContext, o: NvmeOptions) {
  const slots = o.qd * o.jobs;
  const pagesPerIo = Math.ceil(o.bs / PAGE);
  const read = o.rw === 'randread' || o.rw === 'read';
  const dir = read ? 'from-device' : 'to-device';
  const mediaNs = (read ? o.readLatencyNs : o.writeLatencyNs) * (o.rw.startsWith('rand') ? 1 : 0.5);
  const linkNs = o.bs / o.linkGBps;
  let queue: { sq: Coherent; cq: Coherent; prpPool: Coherent } | null = null;
  let buffers: number[] = [];
  /** 'user' buffers: each slot's pages, allocated one at a time across slots so none is contiguous. */
  let userPages: number[][] = [];
  const scattered = o.buffers === 'user' && pagesPerIo > 1;
  /** DMA addresses of the buffers in 'premapped' mode. */
  let premapped: number[] = [];
  let free: number[] = [];
  /** The drive's link: transfers share it one after another, as they come off the media. */
  const link = new ReadyOrderLink();
  const seed = o.seed ^ bdfHash(ctx.device.bdf);
  let media: Random = ctx.random(seed);

  const start = () => {
    if (queue) return;
    ctx.dma.setMask(64);
    link.reset();
    media = ctx.random(seed);
    const sq = ctx.dma.allocCoherent(slots * SQE);
    const cq = ctx.dma.allocCoherent(slots * CQE);
    const prpPool = ctx.dma.allocCoherent(slots * PAGE);
    if (!sq || !cq || !prpPool) throw new Error('nvme: cannot allocate queues');
    queue = { sq, cq, prpPool };
    if (o.buffers === 'user') {
      userPages = Array.from({ length: slots }, () => []);
      for (let p = 0; p < pagesPerIo; p++) for (const pages of userPages) pages.push(ctx.memory.allocPages(1));
      buffers = userPages.map((pages) => pages[0]!);
    } else buffers = Array.from({ length: slots }, () => ctx.memory.allocPages(pagesPerIo));
    if (o.buffers === 'premapped') premapped = buffers.map((b) => ctx.dma.mapSingle(b, o.bs, dir));
    free = buffers.map((_, i) => slots - 1 - i);
  };
  const stop = () => {
    if (!queue) return;
    for (const a of premapped) if (a >= 0) ctx.dma.unmapSingle(a, o.bs, dir);
    premapped = [];
    if (o.buffers === 'user') for (const pages of userPages) for (const pa of pages) ctx.memory.freePages(pa, 1);
    else for (const b of buffers) ctx.memory.freePages(b, pagesPerIo);
    userPages = [];
    ctx.dma.freeCoherent(slots * PAGE, queue.prpPool.pa, queue.prpPool.dmaAddr);
    ctx.dma.freeCoherent(slots * CQE, queue.cq.pa, queue.cq.dmaAddr);
    ctx.dma.freeCoherent(slots * SQE, queue.sq.pa, queue.sq.dmaAddr);
    queue = null;
    buffers = [];
    free = [];
  };

  return {
    probe: () => {
      // nvme_probe() reads the ids first; a function that is not there reads all ones.
      if (ctx.config.read(0, 2) === 0) throw new Error('nvme: no vendor id');
    },
    reset: stop,
    remove: stop,
    workload: {
      queueDepth: o.qd,
      jobs: o.jobs,
      parallelism: o.parallelism,
      completionLatencyNs: o.poll ? 0 : IRQ_LATENCY_NS,
      submitBatch: o.batchSubmit,
      completeBatchMin: o.batchComplete,
      start,
      stop,
      submit(): NvmeIo {
        if (!queue) start();
        const slot = free.pop();
        if (slot === undefined) throw new Error('nvme: no free command slot (queue depth exceeded)');
        ctx.cpu.work(o.driverNs * SUBMIT_SHARE + (o.buffers === 'user' ? pagesPerIo * USER_PIN_NS_PER_PAGE : 0));
        let sg: SgEntry[] | null = null;
        let segments = 1;
        let dmaAddr: number;
        if (scattered) {
          sg = userPages[slot]!.map((pa, i) => ({ pa, length: Math.min(PAGE, o.bs - i * PAGE) }));
          segments = ctx.dma.mapSg(sg, dir);
          dmaAddr = segments > 0 ? sg[0]!.dmaAddress! : -1;
        } else dmaAddr = o.buffers === 'premapped' ? premapped[slot]! : ctx.dma.mapSingle(buffers[slot]!, o.bs, dir);
        if (dmaAddr < 0) {
          free.push(slot);
          throw new Error('nvme: dma mapping failed');
        }
        const prpList = pagesPerIo > 2 ? queue!.prpPool.dmaAddr + slot * PAGE : -1;
        return { bytes: o.bs, slot, dmaAddr, prpList, sg, segments };
      },
      device(io: NvmeIo) {
        const q = queue!;
        ctx.bus.dma(q.sq.dmaAddr + io.slot * SQE, SQE, false); // command fetch
        if (io.prpList >= 0) ctx.bus.dma(io.prpList, 8 * (pagesPerIo - 1), false);
        const now = ctx.bus.nowNs(); // the device's own time in this I/O (after the command fetch)
        const mediaDoneNs = now + mediaNs * (1 + o.mediaJitter * (2 * media() - 1));
        ctx.bus.busy(link.send(now, mediaDoneNs, linkNs) - now);
        // data: on a read the device writes memory
        if (io.sg) for (let k = 0; k < io.segments; k++) ctx.bus.dma(io.sg[k]!.dmaAddress!, io.sg[k]!.dmaLength!, read);
        else ctx.bus.dma(io.dmaAddr, o.bs, read);
        ctx.bus.dma(q.cq.dmaAddr + io.slot * CQE, CQE, true); // completion entry
        if (!o.poll) ctx.raiseIrq(1);
      },
      complete(io: NvmeIo) {
        if (io.sg) ctx.dma.unmapSg(io.sg, dir);
        else if (o.buffers !== 'premapped') ctx.dma.unmapSingle(io.dmaAddr, o.bs, dir);
        ctx.cpu.work(o.driverNs * (1 - SUBMIT_SHARE));
        free.push(io.slot);
      },
    },
  };
}

export const nvmePlugin = defineDevicePlugin<NvmeOptions>({
  name: 'nvme',
  version: '0.2.0',
  sdk: `^${SDK_VERSION}`,
  description: 'NVMe SSD: SQ/CQ in coherent memory, PRP lists, one streaming DMA mapping per I/O',
  parseOptions: parseNvmeOptions,
  create: createNvme,
});

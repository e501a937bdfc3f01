// SPDX-License-Identifier: Apache-2.0
// pcie-bench: a device that measures the host's DMA path itself (Neugebauer, Antichi, Zazo, Audzevich,
// López-Buedo, Moore, "Understanding PCIe performance for end host networking", SIGCOMM 2018;
// code and data https://github.com/pcie-bench). Its kernel driver allocates a host buffer and maps
// it for DMA once; the device (a Netronome NFP6000 or a NetFPGA-SUME) then issues DMA reads (or
// writes) of `size` bytes at random (or sequential) `size`-aligned offsets within the first `window`
// bytes of the buffer, keeping `tags` requests outstanding (non-posted reads each hold a PCIe tag),
// with no per-transfer CPU work and no interrupts. Sweeping the window over IOTLB reach is how the
// paper measured what an IOTLB miss costs (R30 throughput, R34 latency in
// shared/reference/published-measurements.md).
//
// Reads and writes are different transactions (PCIe 3.0 §2.4, §2.6):
// - a read is non-posted: it holds one of `tags` tags for its round trip (`latencyNs`: link, root
//   complex and memory, measured without an IOMMU) until its completion returns;
// - a write is posted: no completion and no round trip. What limits posted writes is flow
//   control (§2.6.1): each write holds one of the root complex's `credits` posted-request credits
//   from the moment it is sent until the root complex has committed it to memory (`postedNs`) and
//   returned the credit in an UpdateFC. The root complex cannot commit a write before the IOMMU
//   has translated its address (VT-d 3.x §3.1, remapping precedes the memory write), so an IOTLB
//   miss holds the write's credit for its walk: under the IOMMU, writes lose throughput only when
//   walks hold enough credits (or all walkers) — and, having no round trip, far less per miss
//   than reads, whose tag waits out the round trip and the walk.
// Both: the transfer's bytes on the PCIe link (serial, in issue order, with TLP framing, §2.2:
// ~24 bytes per TLP), and the IOMMU's part through ctx.bus.request(): an independent request that
// waits for a page walker on an IOTLB miss, not for the device's other requests (see the SDK's
// device-context.ts). A write's "latency" is its credit's hold time (send to commit).
// Simplification: the root complex commits writes out of order (real ones keep posted writes in
// order to the coherence point but commit them in parallel; docs/model.md).

import {
  type DeviceContext,
  defineDevicePlugin,
  type IoHandle,
  optionInvalid,
  type RawOptions,
  readOptions,
  SDK_VERSION,
  SerialLink,
} from '@iofleet/sdk';

const PAGE = 4096;
/** Largest window (1 GiB): the buffer is pinned memory the device holds for the whole run. */
export const PCIEBENCH_MAX_WINDOW = 1 << 30;
/**
 * Outstanding requests a device may ask for: PCIe extended tags give 256 (PCIe 3.0 §2.2.6.2).
 * The NFP6000 runs ~32 in flight: 52.5 M reads/s x 608 ns (R30 and R34 without an IOMMU,
 * Little's law) = 32.
 */
export const PCIEBENCH_MAX_TAGS = 256;
/** Per-TLP bytes on the link beyond the payload: framing, sequence number, 3-4 DW header, LCRC. */
export const TLP_OVERHEAD_BYTES = 24;
/** Largest TLP payload (Max_Payload_Size 256 B, the common server setting). */
export const MAX_PAYLOAD_BYTES = 256;

export interface PciebenchOptions {
  /** Bytes per DMA transfer. */
  size: number;
  /** Bytes of the host buffer the offsets fall in. */
  window: number;
  rw: 'read' | 'write';
  pattern: 'rand' | 'seq';
  /** Requests in flight. */
  tags: number;
  /** Round trip of one DMA read without an IOMMU, ns (R34: 603–649 ns on five Intel parts). */
  latencyNs: number;
  /** Posted-request credits the root complex advertises (PCIe 3.0 §2.6.1): writes in flight. */
  credits: number;
  /** Time from a write's arrival to its commit in memory and its credit's return, ns (no IOMMU). */
  postedNs: number;
  /** PCIe link data rate, GB/s (Gen3 x8: 8 GT/s x 8 lanes x 128/130 / 8 = 7.88). */
  linkGBps: number;
  /** Seed of the offset sequence (runs are repeatable). */
  seed: number;
}

export function parsePciebenchOptions(raw: RawOptions): PciebenchOptions {
  return readOptions('pciebench', raw, {
    size: { bytes: 64, min: 4, max: PAGE, multipleOf: 4 }, // PCIe moves dwords
    window: { bytes: 8192, min: PAGE, max: PCIEBENCH_MAX_WINDOW, multipleOf: PAGE },
    rw: { oneOf: ['read', 'write'], default: 'read' },
    pattern: { oneOf: ['rand', 'seq'], default: 'rand' },
    tags: { integer: 32, min: 1, max: PCIEBENCH_MAX_TAGS },
    latencyNs: { number: 600, min: 0, max: 1e6 },
    // 32 credits held 675 ns each: 47.4 M writes/s, Broadwell's 64 B random writes without an
    // IOMMU at every window (pcie-bench/data bw_dma_win_sweep_wr_rnd_64, E5-2630 v4: 24.27 Gbit/s).
    credits: { integer: 32, min: 1, max: PCIEBENCH_MAX_TAGS },
    postedNs: { number: 675, min: 0, max: 1e6 },
    linkGBps: { number: 7.88, min: 0.1, max: 1000 },
    seed: { integer: 1, min: 0, max: 2 ** 32 - 1 },
  });
}

/** Bytes a transfer of `size` puts on the link: the payload in Max_Payload_Size TLPs. */
export function linkBytes(size: number): number {
  return size + Math.ceil(size / MAX_PAYLOAD_BYTES) * TLP_OVERHEAD_BYTES;
}

interface PciebenchIo extends IoHandle {
  offset: number;
}

function createPciebench(ctx: DeviceContext, o: PciebenchOptions) {
  const pages = o.window / PAGE;
  /** Transfers that fit in the window at `size`-aligned offsets. */
  const slots = Math.floor(o.window / o.size);
  if (slots < 1) throw optionInvalid('size', o.size, `larger than window ${o.window}`);
  const read = o.rw === 'read';
  const linkNs = linkBytes(o.size) / o.linkGBps;
  let buffer: { pa: number; dmaAddr: number } | null = null;
  let next = ctx.random(o.seed);
  const link = new SerialLink();

  const start = () => {
    if (buffer) return;
    ctx.dma.setMask(64);
    const pa = ctx.memory.allocPages(pages);
    // The driver maps its buffer once, for both directions (reads and writes use the same buffer).
    const dmaAddr = ctx.dma.mapSingle(pa, o.window, 'bidirectional');
    if (dmaAddr < 0) {
      ctx.memory.freePages(pa, pages);
      throw new Error('pciebench: dma mapping of the host buffer failed');
    }
    buffer = { pa, dmaAddr };
    next = ctx.random(o.seed);
    link.reset();
  };
  const stop = () => {
    if (!buffer) return;
    ctx.dma.unmapSingle(buffer.dmaAddr, o.window, 'bidirectional');
    ctx.memory.freePages(buffer.pa, pages);
    buffer = null;
  };

  return {
    reset: stop,
    remove: stop,
    workload: {
      // Reads in flight are bound by tags, writes by posted credits.
      queueDepth: read ? o.tags : o.credits,
      jobs: 1,
      parallelism: read ? o.tags : o.credits,
      start,
      stop,
      submit(seq: number): PciebenchIo {
        if (!buffer) start();
        const slot = o.pattern === 'seq' ? seq % slots : Math.floor(next() * slots);
        return { bytes: o.size, offset: slot * o.size };
      },
      device(io: PciebenchIo) {
        // The payload on the link, after the transfers issued before it.
        const now = ctx.nowNs();
        const end = link.send(now, linkNs);
        // A read's round trip; a write's wait in the root complex until it is committed.
        ctx.bus.busy((read ? o.latencyNs : o.postedNs) + (end - now));
        // The IOMMU and the DMA path, which hold the tag (read) or the credit (write) on a miss;
        // a fault is recorded by the runtime (the transfer is lost).
        ctx.bus.request(buffer!.dmaAddr + io.offset, o.size, !read);
      },
      complete() {},
    },
  };
}

export const pciebenchPlugin = defineDevicePlugin<PciebenchOptions>({
  name: 'pciebench',
  version: '0.1.0',
  sdk: `^${SDK_VERSION}`,
  description: 'pcie-bench: DMA reads or writes at random offsets within a host buffer mapped once',
  parseOptions: parsePciebenchOptions,
  create: createPciebench,
});

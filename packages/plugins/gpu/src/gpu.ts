// SPDX-License-Identifier: Apache-2.0
// A GPU and its Linux DRM driver's DMA path, written against @iofleet/sdk only (the shape of
// amdgpu: drivers/gpu/drm/amd/amdgpu, with TTM in drivers/gpu/drm/ttm). At start the driver
// allocates a large block of coherent memory: the GART/GTT backing of its rings, fences and
// kernel-visible buffer objects (ttm_pool_alloc() with use_dma_alloc takes it from
// dma_alloc_attrs(), drivers/gpu/drm/ttm/ttm_pool.c; the model makes one allocation of the same
// total, a departure). In it: a command ring of 64-byte packets and a page of 8-byte fences.
// Per I/O (a bulk copy by a DMA engine, as SDMA does for amdgpu_ttm_copy_mem_to_mem()): the
// driver builds a scatter list of the host buffer's pages (`chunk` bytes each: 4 KiB pages of a
// user buffer, or the higher-order pages ttm_pool_alloc() prefers) and maps it with dma_map_sg()
// (amdgpu_ttm_tt_pin_userptr(): dma_map_sgtable()), writes a command packet and rings the
// doorbell; the GPU reads the packet, runs a short kernel launch (it reads one page of its
// arguments from GTT), moves every DMA segment, writes the fence and raises its interrupt; the
// driver unmaps the list on completion (dma_unmap_sgtable()).
//
// The link is one serial resource: a transfer occupies it for xfer * 8 / gbps ns after the one
// before it. BARs (VRAM aperture, doorbells, registers) are sized by the host and its firmware
// (including Resizable BAR), not by the device: the driver only reads them (pci_resource_len()).
// Driver CPU costs outside the DMA API are assumptions (below).

import {
  type DeviceContext,
  type DmaDirection,
  defineDevicePlugin,
  type IoHandle,
  optionInvalid,
  type RawOptions,
  readOptions,
  SDK_VERSION,
  SerialLink,
  type SgEntry,
} from '@iofleet/sdk';

const PAGE = 4096;
const MiB = 1024 * 1024;
/** Command packet size in the ring (an SDMA copy packet with its header, rounded up). */
export const GPU_PACKET_BYTES = 64;
const FENCE_BYTES = 8;
/** amdgpu_gmc: dma_set_mask_and_coherent(DMA_BIT_MASK(44)) on GFX9 and later. */
const DMA_BITS = 44;
/** Bound on the queue depth an option may ask for (jobs in flight on one ring). */
export const GPU_MAX_QUEUE_DEPTH = 256;
/** amdgpu_cs_ioctl() + drm_sched job push + ring write + doorbell without the mapping, ns (assumption). */
const DRIVER_SUBMIT_NS = 2_000;
/** Building the sg table (sg_alloc_table_from_pages()), ns per entry (assumption). */
const SG_ENTRY_NS = 10;
/** Fence interrupt, dma_fence_signal() and waking the waiter, without the unmap, ns (assumption). */
const DRIVER_COMPLETE_NS = 1_000;
/** Interrupt delivery (MSI) to the completion path, ns (assumption). */
const COMPLETION_LATENCY_NS = 2_000;

export interface GpuOptions {
  coherentMiB: number;
  xfer: number;
  chunk: number;
  qd: number;
  gbps: number;
  launchNs: number;
  dir: 'h2d' | 'd2h';
}

export function parseGpuOptions(raw: RawOptions): GpuOptions {
  const o = readOptions('gpu', raw, {
    coherentMiB: { integer: 64, min: 1, max: 1024 },
    xfer: { bytes: 2 * MiB, min: PAGE, max: 256 * MiB, multipleOf: PAGE },
    chunk: { bytes: PAGE, min: PAGE, max: 256 * MiB },
    qd: { integer: 4, min: 1, max: GPU_MAX_QUEUE_DEPTH },
    gbps: { number: 200, min: 1, max: 2000 },
    launchNs: { number: 3_000, min: 0, max: 1e9 },
    dir: { oneOf: ['h2d', 'd2h'], default: 'h2d' },
  });
  if (o.chunk & (o.chunk - 1)) throw optionInvalid('chunk', o.chunk, 'not a power of two');
  if (o.chunk > o.xfer || o.xfer % o.chunk) throw optionInvalid('chunk', o.chunk, `does not divide xfer ${o.xfer}`);
  return o;
}

interface GpuIo extends IoHandle {
  seq: number;
  slot: number;
  sg: SgEntry[];
  /** DMA segments dma_map_sg() returned: the first `segments` entries of sg. */
  segments: number;
}

function createGpu(ctx: DeviceContext, o: GpuOptions) {
  const h2d = o.dir === 'h2d';
  const dir: DmaDirection = h2d ? 'to-device' : 'from-device';
  const coherentBytes = o.coherentMiB * MiB;
  const ringBytes = Math.ceil((o.qd * GPU_PACKET_BYTES) / PAGE) * PAGE;
  const fenceOffset = ringBytes;
  const gttOffset = fenceOffset + PAGE;
  /** GTT pages past the ring and the fences (at least 1 MiB less 20 KiB, by the option bounds). */
  const gttPages = Math.floor((coherentBytes - gttOffset) / PAGE);
  const chunkPages = o.chunk / PAGE;
  const chunksPerIo = o.xfer / o.chunk;
  const wireNs = (o.xfer * 8) / o.gbps;
  let gtt: { pa: number; dmaAddr: number } | null = null;
  /** Each slot's host buffer: the physical address of every chunk. */
  let buffers: number[][] = [];
  let free: number[] = [];
  /** Scatter lists mapped and not yet unmapped, by slot (unmapped by stop() after a faulted run). */
  const inflight = new Map<number, SgEntry[]>();
  /** The link to the host: transfers cross it one after another. */
  const wire = new SerialLink();
  let barBytes = 0;

  const stop = () => {
    for (const sg of inflight.values()) ctx.dma.unmapSg(sg, dir);
    inflight.clear();
    for (const b of buffers) for (const pa of b) ctx.memory.freePages(pa, chunkPages);
    buffers = [];
    free = [];
    if (gtt) ctx.dma.freeCoherent(coherentBytes, gtt.pa, gtt.dmaAddr);
    gtt = null;
  };

  const start = () => {
    if (gtt) return;
    ctx.dma.setMask(DMA_BITS);
    wire.reset();
    gtt = ctx.dma.allocCoherent(coherentBytes);
    if (!gtt) throw new Error(`gpu: cannot allocate ${o.coherentMiB} MiB of coherent memory`);
    try {
      for (let slot = 0; slot < o.qd; slot++) {
        const chunks: number[] = [];
        buffers.push(chunks);
        for (let c = 0; c < chunksPerIo; c++) chunks.push(ctx.memory.allocPages(chunkPages));
      }
    } catch (e) {
      stop();
      throw e;
    }
    free = buffers.map((_, i) => o.qd - 1 - i);
  };

  return {
    probe: () => {
      // The host sized the BARs; the driver reads what it got (amdgpu_device_resize_fb_bar()
      // asks the PCI core for a larger VRAM BAR, the host decides).
      barBytes = ctx.bars.reduce((m, b) => Math.max(m, b.size), 0);
      ctx.tracer.event('gpu.bars', { count: ctx.bars.length, largestBytes: barBytes });
    },
    reset: stop,
    remove: stop,
    workload: {
      queueDepth: o.qd,
      completionLatencyNs: COMPLETION_LATENCY_NS,
      start,
      stop,
      submit(seq: number): GpuIo {
        if (!gtt) start();
        const slot = free.pop();
        if (slot === undefined) throw new Error('gpu: no free ring slot (queue depth exceeded)');
        ctx.cpu.work(DRIVER_SUBMIT_NS + chunksPerIo * SG_ENTRY_NS);
        const sg: SgEntry[] = buffers[slot]!.map((pa) => ({ pa, length: o.chunk }));
        const segments = ctx.dma.mapSg(sg, dir);
        if (segments === 0) {
          free.push(slot);
          throw new Error('gpu: dma_map_sg failed');
        }
        inflight.set(slot, sg);
        return { bytes: o.xfer, seq, slot, sg, segments };
      },
      device(io: GpuIo) {
        const g = gtt!;
        ctx.bus.dma(g.dmaAddr + io.slot * GPU_PACKET_BYTES, GPU_PACKET_BYTES, false); // command packet
        ctx.bus.busy(o.launchNs);
        ctx.bus.dma(g.dmaAddr + gttOffset + (io.seq % gttPages) * PAGE, PAGE, false); // kernel arguments
        for (let i = 0; i < io.segments; i++) {
          const s = io.sg[i]!;
          ctx.bus.dma(s.dmaAddress!, s.dmaLength!, !h2d); // d2h: the GPU writes host memory
        }
        const now = ctx.nowNs();
        ctx.bus.busy(wire.send(now, wireNs) - now);
        ctx.bus.dma(g.dmaAddr + fenceOffset + io.slot * FENCE_BYTES, FENCE_BYTES, true); // fence write
        ctx.raiseIrq(0);
      },
      complete(io: GpuIo) {
        if (!inflight.delete(io.slot)) return;
        ctx.dma.unmapSg(io.sg, dir);
        ctx.cpu.work(DRIVER_COMPLETE_NS);
        free.push(io.slot);
      },
    },
  };
}

export const gpuPlugin = defineDevicePlugin<GpuOptions>({
  name: 'gpu',
  version: '0.1.0',
  sdk: `^${SDK_VERSION}`,
  description: 'GPU: large coherent GTT allocation, bulk copies through dma_map_sg scatter lists, host-sized BARs',
  parseOptions: parseGpuOptions,
  create: createGpu,
});

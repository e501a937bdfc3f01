// SPDX-License-Identifier: Apache-2.0
// The device context: the only door a plugin has into its host (STYLE.md item 10). A driver half
// (runs on a simulated CPU: the Linux DMA API, memory for buffers) and a device half (what the
// hardware does: memory accesses that go through the IOMMU, time spent on the medium or the link),
// plus config space and BARs, interrupts, the simulated clock, seeded randomness, a tracer and a
// logger.
// Addresses are numbers: physical and DMA addresses below 2^53. The contract keeps them plain on
// purpose (issue #20): it has no dependencies, and every address a plugin holds came from this
// context (memory.allocPages, the dma calls). The runtime brands them as core's Hpa (a physical
// address, once it has checked the plugin holds that memory) and Iova (a DMA address) before they
// reach core's DMA layer, so the typed boundary sits where the check is.

/** enum dma_data_direction */
export type DmaDirection = 'bidirectional' | 'to-device' | 'from-device';

/** Returned by map calls when the mapping failed (dma_mapping_error()). */
export const DMA_MAPPING_ERROR = -1;

export interface SgEntry {
  /** Physical address of the buffer piece. */
  pa: number;
  length: number;
  /** Filled by mapSg: the DMA address and length of this entry's segment. */
  dmaAddress?: number;
  dmaLength?: number;
}

/** The Linux DMA API as a driver calls it (include/linux/dma-mapping.h). */
export interface DmaApi {
  /** dma_set_mask_and_coherent(): the address bits the device can emit. */
  setMask(bits: number): void;
  /** dma_map_single()/dma_map_page(): the DMA address, or DMA_MAPPING_ERROR. */
  mapSingle(pa: number, length: number, dir: DmaDirection): number;
  /** dma_unmap_single(). */
  unmapSingle(dmaAddr: number, length: number, dir: DmaDirection): void;
  /** dma_map_sg(): number of DMA segments (0 on failure); fills dmaAddress/dmaLength. */
  mapSg(sg: SgEntry[], dir: DmaDirection): number;
  unmapSg(sg: SgEntry[], dir: DmaDirection): void;
  /** dma_alloc_coherent(): CPU-side physical address and DMA address, or null. */
  allocCoherent(length: number): { pa: number; dmaAddr: number } | null;
  freeCoherent(length: number, pa: number, dmaAddr: number): void;
  /** dma_sync_single_for_cpu() / _for_device(). */
  syncForCpu(dmaAddr: number, length: number, dir: DmaDirection): void;
  syncForDevice(dmaAddr: number, length: number, dir: DmaDirection): void;
}

/** Kernel memory for buffers (alloc_pages()): physical addresses of 4 KiB pages. */
export interface MemoryApi {
  /**
   * `count` contiguous pages; with `alignPages` the first one on a multiple of that many pages
   * (512 for a 2 MiB huge page, as alloc_pages() of order 9 gives).
   */
  allocPages(count: number, alignPages?: number): number;
  freePages(pa: number, count: number): void;
}

/** What the device does on the bus. */
export interface BusApi {
  /**
   * A DMA read or write by the device of [dmaAddr, dmaAddr + length): each 4 KiB page is
   * translated by the IOMMU (IOTLB, page walk) and charged to the device's time. Returns false
   * when a page faulted (the fault is recorded and logged as the hardware would).
   */
  dma(dmaAddr: number, length: number, write: boolean): boolean;
  /**
   * One independent DMA read or write request of [dmaAddr, dmaAddr + length), as a device's
   * request engine issues it under its own PCIe tag (pcie-bench, a NIC's descriptor prefetcher):
   * each page is translated by the IOMMU, a miss waiting only for one of the IOMMU's concurrent
   * page walkers, not for the device's other requests; the data then takes its bytes' share of the
   * per-4 KiB DMA time on the device's DMA path. The request's round trip (link and memory
   * latency) is the plugin's busy() time and overlaps across requests. Returns false on a fault.
   */
  request(dmaAddr: number, length: number, write: boolean): boolean;
  /** Device-side time (media access, link transfer) for the current I/O, in ns. */
  busy(ns: number): void;
  /**
   * Where the device is in simulated time within the current I/O: when it started it plus the
   * DMA and busy time the I/O has accumulated so far, ns. A shared resource the device books
   * (a NIC's wire) starts from here, not from the submitting CPU's clock (`nowNs()`), which does
   * not see the device's queueing.
   */
  nowNs(): number;
}

/** Driver CPU work outside the DMA API (block layer, descriptor setup, doorbell writes). */
export interface CpuApi {
  /** Charges `ns` of work to the CPU the current hook runs on. */
  work(ns: number): void;
  /** The CPU the current hook runs on. */
  readonly id: number;
}

export interface ConfigSpace {
  /** 4 KiB PCIe extended config space; reads of unimplemented registers return 0. */
  read(offset: number, size: 1 | 2 | 4): number;
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

export interface Bar {
  index: number;
  /** Size in bytes (a power of two). */
  size: number;
  prefetchable: boolean;
  is64: boolean;
}

export interface DeviceInfo {
  /** "0000:01:00.0" */
  bdf: string;
  vendor?: string;
  device?: string;
  class?: string;
  numaNode: number;
  /** An SR-IOV virtual function. */
  isVirtualFunction: boolean;
  /** Is there an IOMMU translating this device's DMA (false in pass-through or without IOMMU). */
  translated: boolean;
}

export interface DeviceTracer {
  /** A span event on the device's current span (rate-limited by the host). */
  event(name: string, attributes?: Record<string, string | number | boolean>): void;
}

export interface DeviceLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** Numbers uniform in [0, 1), repeating from their seed (the host's generator: @iofleet/prng). */
export type Random = () => number;

export interface DeviceContext {
  readonly device: DeviceInfo;
  readonly dma: DmaApi;
  readonly memory: MemoryApi;
  readonly bus: BusApi;
  readonly cpu: CpuApi;
  readonly config: ConfigSpace;
  readonly bars: readonly Bar[];
  /** Raise an interrupt (MSI-X vector): delivered as an event to the host's observers. */
  raiseIrq(vector: number): void;
  /** The simulated clock, in ns (the CPU the current hook runs on). */
  nowNs(): number;
  /**
   * A seeded generator for device behaviour that must repeat run to run (offsets, sizes): the
   * same seed gives the same sequence on every host. Never Math.random.
   */
  random(seed: number): Random;
  readonly tracer: DeviceTracer;
  readonly log: DeviceLogger;
}

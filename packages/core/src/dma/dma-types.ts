// SPDX-License-Identifier: Apache-2.0
// The Linux DMA API as a device sees it (include/linux/dma-mapping.h), implemented by dma-iommu
// (translated domains) and dma-direct (no IOMMU / identity domain).

/** enum dma_data_direction */
export const DMA_BIDIRECTIONAL = 0;
export const DMA_TO_DEVICE = 1;
export const DMA_FROM_DEVICE = 2;
export type DmaDirection = 0 | 1 | 2;

/** DMA_MAPPING_ERROR (~0 in the kernel): a failed map returns it; check with dmaMappingError(). */
export const DMA_MAPPING_ERROR = -1;

export function dmaMappingError(addr: number): boolean {
  return addr === DMA_MAPPING_ERROR;
}

/** DMA_BIT_MASK(n) as a number (exact for n <= 53; larger widths clip to the model's range). */
export function dmaBitMask(bits: number): number {
  return bits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** bits - 1;
}

/** One scatterlist element: input {pa, length}; output {dmaAddress, dmaLength} after mapSg. */
export interface ScatterEntry {
  pa: number;
  length: number;
  dmaAddress: number;
  dmaLength: number;
}

export function scatterEntry(pa: number, length: number): ScatterEntry {
  return { pa, length, dmaAddress: DMA_MAPPING_ERROR, dmaLength: 0 };
}

/**
 * Maps a list entry by entry (dma_direct_map_sg; iommu_dma_map_sg_swiotlb for untrusted devices):
 * `mapEntry(s, i)` maps entry `i`; on the first failure the entries already mapped are unmapped
 * with `ops.unmapPage` and 0 is returned, else the number of entries.
 */
export function mapSgEach(
  ops: Pick<DmaOps, 'unmapPage'>,
  sg: ScatterEntry[],
  dir: DmaDirection,
  mapEntry: (s: ScatterEntry, i: number) => number,
): number {
  for (let i = 0; i < sg.length; i++) {
    const s = sg[i]!;
    s.dmaAddress = mapEntry(s, i);
    s.dmaLength = s.length;
    if (s.dmaAddress < 0) {
      for (let j = 0; j < i; j++) ops.unmapPage(sg[j]!.dmaAddress, sg[j]!.dmaLength, dir);
      return 0;
    }
  }
  return sg.length;
}

/** What a device driver calls (dma_map_page & co). Addresses are numbers; sizes in bytes. */
export interface DmaOps {
  readonly mode: 'direct' | 'iommu';
  /**
   * dma_set_mask_and_coherent() (kernel/dma/mapping.c): the address bits the device can emit
   * from now on, for streaming and coherent mappings alike (the model keeps one mask).
   */
  setMask(bits: number): void;
  mapPage(pa: number, size: number, dir: DmaDirection): number;
  unmapPage(dmaAddr: number, size: number, dir: DmaDirection): void;
  /** Maps a list; returns the number of DMA segments (0 on failure). */
  mapSg(sg: ScatterEntry[], dir: DmaDirection): number;
  unmapSg(sg: ScatterEntry[], dir: DmaDirection): void;
  /** dma_alloc_coherent(): returns {cpuPa, dmaAddr} or null when out of memory/IOVA space. */
  allocCoherent(size: number): { cpuPa: number; dmaAddr: number } | null;
  freeCoherent(size: number, cpuPa: number, dmaAddr: number): void;
  syncSingleForCpu(dmaAddr: number, size: number, dir: DmaDirection): void;
  syncSingleForDevice(dmaAddr: number, size: number, dir: DmaDirection): void;
}

/** Device properties the DMA layer looks at. */
export interface DmaDeviceInfo {
  name: string;
  /** dma_set_mask(): address bits the device can emit. */
  dmaBits: number;
  /** A PCI device (gets the 32-bit-first IOVA policy). */
  isPci: boolean;
  /** pci_dev->untrusted (external-facing port): strict + bouncing of sub-granule buffers. */
  untrusted: boolean;
  /** dma_get_max_seg_size(): 64 KiB when the driver sets no dma_parms. */
  maxSegmentSize: number;
  /** dma_get_min_align_mask() (e.g. NVMe 4 KiB - 1); 0 for most devices. */
  minAlignMask: number;
}

export function dmaDevice(partial: Partial<DmaDeviceInfo> & { name: string }): DmaDeviceInfo {
  return { dmaBits: 64, isPci: true, untrusted: false, maxSegmentSize: 65536, minAlignMask: 0, ...partial };
}

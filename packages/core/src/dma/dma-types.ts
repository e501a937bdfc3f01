// SPDX-License-Identifier: Apache-2.0
// The Linux DMA API as a device sees it (include/linux/dma-mapping.h), implemented by dma-iommu
// (translated domains) and dma-direct (no IOMMU / identity domain).
//
// Addresses are branded (addresses.ts; types only, no runtime cost): a buffer's physical address
// (phys_addr_t) is an Hpa, the address the device emits (dma_addr_t) an Iova. Behind dma-direct
// the DMA address is the physical address itself (or a swiotlb slot's); the Iova brand then
// says "what the device puts on the bus", which is what dma_addr_t means, and dma-direct converts
// with dmaAddrOfPhys(). The SDK's plugin-facing DmaApi keeps plain numbers (sdk-runtime brands
// them at the boundary, after checking the plugin owns the memory).

import type { Hpa, Iova } from '../addresses';

/** enum dma_data_direction */
export const DMA_BIDIRECTIONAL = 0;
export const DMA_TO_DEVICE = 1;
export const DMA_FROM_DEVICE = 2;
export type DmaDirection = 0 | 1 | 2;

/** DMA_MAPPING_ERROR (~0 in the kernel): a failed map returns it; check with dmaMappingError(). */
export const DMA_MAPPING_ERROR = -1 as Iova;

export function dmaMappingError(addr: Iova): boolean {
  return addr === DMA_MAPPING_ERROR;
}

/** dma-direct's phys_to_dma(): without translation the bus address is the physical address. */
export function dmaAddrOfPhys(pa: Hpa): Iova {
  return pa as number as Iova;
}
/** dma-direct's dma_to_phys(): the inverse of dmaAddrOfPhys(). */
export function physOfDmaAddr(dmaAddr: Iova): Hpa {
  return dmaAddr as number as Hpa;
}

/** DMA_BIT_MASK(n) as a number (exact for n <= 53; larger widths clip to the model's range). */
export function dmaBitMask(bits: number): number {
  return bits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** bits - 1;
}

/** One scatterlist element: input {pa, length}; output {dmaAddress, dmaLength} after mapSg. */
export interface ScatterEntry {
  pa: Hpa;
  length: number;
  dmaAddress: Iova;
  dmaLength: number;
}

export function scatterEntry(pa: Hpa, length: number): ScatterEntry {
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
  mapEntry: (s: ScatterEntry, i: number) => Iova,
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

/** dma_alloc_coherent()'s result: the buffer's physical address and the device's address for it. */
export interface CoherentBuffer {
  cpuPa: Hpa;
  dmaAddr: Iova;
}

/** What a device driver calls (dma_map_page & co). Physical addresses Hpa, DMA addresses Iova; sizes in bytes. */
export interface DmaOps {
  readonly mode: 'direct' | 'iommu';
  /**
   * dma_set_mask_and_coherent() (kernel/dma/mapping.c): the address bits the device can emit
   * from now on, for streaming and coherent mappings alike (the model keeps one mask).
   */
  setMask(bits: number): void;
  /** dma_map_page(): the DMA address, or DMA_MAPPING_ERROR. */
  mapPage(pa: Hpa, size: number, dir: DmaDirection): Iova;
  unmapPage(dmaAddr: Iova, size: number, dir: DmaDirection): void;
  /** Maps a list; returns the number of DMA segments (0 on failure). */
  mapSg(sg: ScatterEntry[], dir: DmaDirection): number;
  unmapSg(sg: ScatterEntry[], dir: DmaDirection): void;
  /** dma_alloc_coherent(): returns {cpuPa, dmaAddr} or null when out of memory/IOVA space. */
  allocCoherent(size: number): CoherentBuffer | null;
  freeCoherent(size: number, cpuPa: Hpa, dmaAddr: Iova): void;
  syncSingleForCpu(dmaAddr: Iova, size: number, dir: DmaDirection): void;
  syncSingleForDevice(dmaAddr: Iova, size: number, dir: DmaDirection): void;
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
